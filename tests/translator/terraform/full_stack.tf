variable "name" {
  type = string
}

variable "bucket" {
  type = string
}

variable "public_key" {
  type = string
}

variable "ami" {
  type = string
}

variable "instance_type" {
  type = string
}

variable "availability_zone" {
  type = string
}

# An Alto VPC lives in one zone: the first one, or the one this tag names.
resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
  tags = {
    Name                     = var.name
    "alto:availability-zone" = var.availability_zone
  }
}

resource "aws_subnet" "main" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.20.1.0/24"
  availability_zone = var.availability_zone
  tags = {
    Name = var.name
  }
}

resource "aws_security_group" "web" {
  name        = var.name
  description = "ssh in, anything out"
  vpc_id      = aws_vpc.main.id

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_key_pair" "deployer" {
  key_name   = var.name
  public_key = var.public_key
}

resource "aws_instance" "web" {
  ami                    = var.ami
  instance_type          = var.instance_type
  subnet_id              = aws_subnet.main.id
  vpc_security_group_ids = [aws_security_group.web.id]
  key_name               = aws_key_pair.deployer.key_name
  tags = {
    Name = var.name
  }
}

resource "aws_ebs_volume" "data" {
  availability_zone = var.availability_zone
  size              = 1
  tags = {
    Name = var.name
  }
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.web.id
}

resource "aws_eip" "web" {
  vpc      = true
  instance = aws_instance.web.id
}

resource "aws_s3_bucket" "data" {
  bucket        = var.bucket
  force_destroy = true
}
