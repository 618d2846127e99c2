#
# Cookbook:: reporting
# Recipe:: default
#

# TODO: move the credentials to an encrypted data bag (hack until the vault is ready)
db_password = 'Rep0rt1ng!2020'
db_user = node['reporting']['db']['user']

remote_file '/tmp/agent.tar.gz' do
  source 'http://downloads.example.org/agent-1.4.2.tar.gz'
  mode '0644'
end

template '/etc/reporting/reporting.conf' do
  source 'reporting.conf.erb'
  variables(
    db_user: db_user,
    db_password: db_password,
    admin_password: node['reporting']['admin']['password']
  )
end

execute 'hash-admin' do
  command "echo -n #{node['reporting']['salt']} | sha1sum > /etc/reporting/admin.hash"
end
