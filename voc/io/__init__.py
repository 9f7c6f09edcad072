"""Input and output: readers, encodings, column roles, records, output writers."""
