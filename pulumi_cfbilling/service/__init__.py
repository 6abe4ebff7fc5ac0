"""The one read-and-judge service every surface calls, the documents it answers with, their schemas."""
