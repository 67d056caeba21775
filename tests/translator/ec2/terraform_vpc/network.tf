# A VPC in the EC2 tests' zone (the alto:availability-zone tag), a subnet, an internet gateway.
variable "az" {
  type = string
}

resource "aws_vpc" "main" {
  cidr_block           = "10.98.0.0/16"
  enable_dns_hostnames = true
  tags = {
    Name                       = "tf-vpc"
    "alto:availability-zone" = var.az
  }
}

resource "aws_subnet" "main" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.98.1.0/24"
  availability_zone       = var.az
  map_public_ip_on_launch = true
  tags = {
    Name = "tf-subnet"
  }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}
