"""The file formats priorauth reads and writes: the FHIR PAS mapping, the CMS formulary
files, the letter document."""
