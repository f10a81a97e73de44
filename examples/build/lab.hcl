# The lab's hosts and SSH settings (make lab-up writes the client files).

variable "lab_dir" {
  type    = string
  default = "/tmp/berth-lab"
}

ssh {
  user        = "root"
  identity    = "${var.lab_dir}/client/id_ed25519"
  known_hosts = "${var.lab_dir}/client/known_hosts"
}

host "h1" { address = "10.77.0.11" }
host "h2" { address = "10.77.0.12" }
