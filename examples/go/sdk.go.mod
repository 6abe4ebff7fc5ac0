module github.com/pulumi-cfbilling/pulumi-cfbilling/sdk/go

go 1.24

require github.com/pulumi/pulumi/sdk/v3 v3.274.1
