"""The Pulumi surfaces inside a program: data functions, guard(), the snapshot resource."""
