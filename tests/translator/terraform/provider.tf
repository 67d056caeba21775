# The provider block of the README: every endpoint at Alto, the tenant's API keys, and no
# skip_* flag (provider 3.39 spelling: s3_force_path_style).
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "3.39.0"
    }
  }
}

variable "alto_endpoint" {
  type = string
}

variable "access_key" {
  type = string
}

variable "secret_key" {
  type      = string
  sensitive = true
}

provider "aws" {
  region              = "us-east-1"
  access_key          = var.access_key
  secret_key          = var.secret_key
  s3_force_path_style = true

  endpoints {
    ec2 = var.alto_endpoint
    iam = var.alto_endpoint
    s3  = var.alto_endpoint
    sts = var.alto_endpoint
  }
}
