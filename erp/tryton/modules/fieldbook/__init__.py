# Fieldbook's Tryton module: what the Fieldbook desktop client needs from the
# ERP beyond Tryton's standard models. See README.md in this folder.
