"""The approval criteria rules: a FHIR Questionnaire (questionnaire), a JDM decision graph
(jdm) and the two together for one drug (engine). None of them imports Django."""
