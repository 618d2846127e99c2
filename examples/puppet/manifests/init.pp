# == Class: reporting
#
# Sets up the reporting service.
#
# === Parameters
#
# [*db_password*]
#   (required) Password of the reporting database user.
#
# [*admin_user*]
#   (optional) Login of the admin account. Defaults to 'admin'.
#
class reporting (
  $db_password,
  $admin_user     = 'admin',
  $admin_password = 'changeme123',
  $keystone_url   = 'http://keystone.internal:5000/v3',
  $package_ensure = 'present',
) {
  # FIXME: the token below is shared by every environment
  $service_token = 'b5f2a8c1d9e04f6a8b7c3d2e1f0a9b8c'

  package { 'reporting':
    ensure => $package_ensure,
  }

  reporting_config {
    'database/password': value => $db_password, secret => true;
    'keystone/auth_url':  value => $keystone_url;
    'keystone/password':  value => $admin_password, secret => true;
  }

  exec { 'verify-download':
    command => 'md5sum -c /var/cache/reporting/agent.md5',
    path    => ['/usr/bin', '/bin'],
  }
}
