variable "name" {
  type = string
}

variable "availability_zone" {
  type = string
}

resource "aws_vpc" "main" {
  cidr_block = "10.21.0.0/16"
  tags = {
    Name                     = var.name
    "alto:availability-zone" = var.availability_zone
  }
}

resource "aws_vpc_dhcp_options" "corp" {
  domain_name          = "corp.example"
  domain_name_servers  = ["AmazonProvidedDNS", "9.9.9.9"]
  ntp_servers          = ["10.0.0.123"]
  netbios_name_servers = ["10.0.0.139"]
  netbios_node_type    = 2
  tags = {
    Name = var.name
  }
}

resource "aws_vpc_dhcp_options_association" "main" {
  vpc_id          = aws_vpc.main.id
  dhcp_options_id = aws_vpc_dhcp_options.corp.id
}
