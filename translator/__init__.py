"""AWS API → native command translation (EC2, S3, STS, IAM). Filled in by the EC2 and S3 issues."""
