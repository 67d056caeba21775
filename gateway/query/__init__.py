"""The AWS Query protocols (EC2's `ec2` and STS/IAM's `query`), read and written from
botocore's service models: `parse` turns form parameters into an operation's input,
`render` turns a translator's output or an `AwsError` into the XML the SDKs parse."""
