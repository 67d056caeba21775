variable "name" {
  type = string
}

variable "availability_zone" {
  type = string
}

resource "aws_vpc" "main" {
  cidr_block = "10.88.0.0/16"
  tags = {
    Name                     = var.name
    "alto:availability-zone" = var.availability_zone
  }
}

resource "aws_subnet" "web" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.88.1.0/24"
  availability_zone = var.availability_zone
}

resource "aws_subnet" "db" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.88.2.0/24"
  availability_zone = var.availability_zone
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "web" {
  vpc_id = aws_vpc.main.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }

  tags = {
    Name = var.name
  }
}

resource "aws_route_table_association" "web" {
  subnet_id      = aws_subnet.web.id
  route_table_id = aws_route_table.web.id
}
