"""Line-based IaC technologies (Ansible, Chef, Puppet, Terraform, GitHub Actions), the smell catalogue, and the
``features`` scorer and its shipped champion, ``features-default``."""
