variable "bucket" {
  type = string
}

variable "key_name" {
  type = string
}

variable "public_key" {
  type = string
}

resource "aws_s3_bucket" "data" {
  bucket        = var.bucket
  force_destroy = true
}

resource "aws_key_pair" "deployer" {
  key_name   = var.key_name
  public_key = var.public_key
}
