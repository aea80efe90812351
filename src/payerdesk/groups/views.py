"""Group administration pages. The enrollment import pages are in `import_views`."""
