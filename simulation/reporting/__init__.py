"""What a person reads: plots, text tables and the HTML/PDF report."""
