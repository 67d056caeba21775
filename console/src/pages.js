// The console's list pages, as data: the list command and its response key, the columns,
// what each row offers (one native command each, perhaps after a small form, or a page to
// go to) and the form that creates one. ResourceList renders any of them; a page with
// `admin` shows only to root administrators.

const gib = (bytes) => (bytes ? `${(Number(bytes) / 2 ** 30).toFixed(1)} GiB` : '')
const byId = (row) => ({ id: row.id })
const zoneField = { name: 'zoneid', label: 'Zone', options: { command: 'listZones', key: 'zone' } }
const publicIpField = {
  name: 'ipaddressid',
  label: 'Public IP',
  options: { command: 'listPublicIpAddresses', key: 'publicipaddress', label: 'ipaddress' },
}
const instanceField = {
  name: 'virtualmachineid',
  label: 'Instance',
  required: true,
  options: { command: 'listVirtualMachines', key: 'virtualmachine' },
}
const protocolField = {
  name: 'protocol',
  label: 'Protocol',
  options: ['tcp', 'udp', 'icmp'],
}

export const sections = [
  { title: 'Compute', pages: ['instances', 'volumes', 'snapshots', 'ssh-keys'] },
  {
    title: 'Network',
    pages: [
      'networks', 'vpcs', 'security-groups', 'public-ips', 'firewall', 'port-forwarding',
      'load-balancers',
    ],
  },
  { title: 'Storage', pages: ['buckets'] },
  { title: 'Account', pages: ['events', 'limits'] },
  {
    title: 'Infrastructure',
    admin: true,
    pages: ['zones', 'pods', 'clusters', 'hosts', 'primary-storage', 'secondary-storage'],
  },
  {
    title: 'Administration',
    admin: true,
    pages: [
      'compute-offerings', 'disk-offerings', 'templates', 'accounts', 'domains', 'users',
      'roles', 'settings', 'alerts', 'jobs',
    ],
  },
]

export const listPages = [
  {
    path: 'instances',
    title: 'Instances',
    command: 'listVirtualMachines',
    key: 'virtualmachine',
    link: { label: 'Deploy instance', to: '/deploy' },
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'State', field: 'state' },
      { label: 'IP address', value: (vm) => (vm.nic || []).map((nic) => nic.ipaddress).join(', ') },
      { label: 'Public IP', field: 'publicip' },
      { label: 'Offering', field: 'serviceofferingname' },
      { label: 'Zone', field: 'zonename' },
    ],
    actions: [
      { label: 'Start', command: 'startVirtualMachine', params: byId, when: (vm) => vm.state === 'Stopped' },
      { label: 'Stop', command: 'stopVirtualMachine', params: byId, when: (vm) => vm.state === 'Running' },
      { label: 'Reboot', command: 'rebootVirtualMachine', params: byId, when: (vm) => vm.state === 'Running' },
      {
        label: 'Snapshot',
        command: 'createVMSnapshot',
       
        params: (vm) => ({ virtualmachineid: vm.id }),
        form: [
          { name: 'name', label: 'Name' },
          {
            name: 'snapshotmemory',
            label: 'Include memory (KVM snapshots a running instance only with its memory)',
            options: ['true', 'false'],
            required: true,
            initial: (vm) => String(vm.state === 'Running'),
          },
        ],
        when: (vm) => ['Running', 'Stopped'].includes(vm.state),
      },
      {
        label: 'Console output',
        command: 'getVirtualMachineConsoleOutput',
        params: (vm) => ({ virtualmachineid: vm.id }),
        show: (reply) => reply.consoleoutput?.output ?? JSON.stringify(reply),
        when: (vm) => vm.state === 'Running',
      },
      {
        label: 'Destroy',
        command: 'destroyVirtualMachine',
       
        params: byId,
        confirm: (vm) => `Destroy instance ${vm.name}? Its root disk is deleted when it is expunged.`,
        when: (vm) => !['Destroyed', 'Expunging'].includes(vm.state),
      },
      { label: 'Recover', command: 'recoverVirtualMachine', params: byId, when: (vm) => vm.state === 'Destroyed' },
      {
        label: 'Expunge',
        command: 'expungeVirtualMachine',
        params: byId,
        confirm: (vm) => `Expunge instance ${vm.name}? This cannot be undone.`,
        when: (vm) => vm.state === 'Destroyed',
      },
    ],
  },
  {
    path: 'volumes',
    title: 'Volumes',
    command: 'listVolumes',
    key: 'volume',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Type', field: 'type' },
      { label: 'State', field: 'state' },
      { label: 'Size', value: (v) => gib(v.size) },
      { label: 'Instance', field: 'vmname' },
      { label: 'Zone', field: 'zonename' },
    ],
    create: {
      label: 'Add volume',
      command: 'createVolume',
     
      fields: [
        { name: 'name', label: 'Name', required: true },
        zoneField,
        {
          name: 'diskofferingid',
          label: 'Disk offering',
          options: { command: 'listDiskOfferings', key: 'diskoffering' },
        },
        { name: 'size', label: 'Size (GiB, for a custom offering)', type: 'number' },
      ],
    },
    actions: [
      { label: 'Snapshot', command: 'createSnapshot', params: (v) => ({ volumeid: v.id }) },
      {
        label: 'Attach',
        command: 'attachVolume',
        params: byId,
        form: [instanceField],
        when: (v) => !v.virtualmachineid,
      },
      { label: 'Detach', command: 'detachVolume', params: byId, when: (v) => v.virtualmachineid && v.type !== 'ROOT' },
      {
        label: 'Delete',
        command: 'deleteVolume',
        params: byId,
        when: (v) => !v.virtualmachineid,
        confirm: (v) => `Delete volume ${v.name}?`,
      },
    ],
  },
  {
    path: 'snapshots',
    title: 'Snapshots',
    command: 'listSnapshots',
    key: 'snapshot',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Volume', field: 'volumename' },
      { label: 'State', field: 'state' },
      { label: 'Created', field: 'created' },
    ],
    actions: [
      {
        label: 'Create volume',
        command: 'createVolume',
        params: (snapshot) => ({ snapshotid: snapshot.id }),
        form: [{ name: 'name', label: 'Volume name', required: true }],
        when: (snapshot) => snapshot.state === 'BackedUp',
      },
      { label: 'Delete', command: 'deleteSnapshot', params: byId, confirm: (s) => `Delete snapshot ${s.name}?` },
    ],
  },
  {
    path: 'ssh-keys',
    title: 'SSH key pairs',
    command: 'listSSHKeyPairs',
    key: 'sshkeypair',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Fingerprint', field: 'fingerprint' },
    ],
    create: {
      label: 'Create key pair',
      command: 'createSSHKeyPair',
      fields: [{ name: 'name', label: 'Name', required: true }],
      show: (reply) => reply.keypair?.privatekey,
    },
    actions: [
      { label: 'Delete', command: 'deleteSSHKeyPair', params: (k) => ({ name: k.name }), confirm: (k) => `Delete key pair ${k.name}?` },
    ],
  },
  {
    path: 'networks',
    title: 'Networks',
    command: 'listNetworks',
    key: 'network',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Type', field: 'type' },
      { label: 'State', field: 'state' },
      { label: 'CIDR', field: 'cidr' },
      { label: 'VPC', field: 'vpcname' },
      { label: 'Zone', field: 'zonename' },
    ],
    create: {
      label: 'Add network',
      command: 'createNetwork',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'displaytext', label: 'Description' },
        zoneField,
        {
          name: 'networkofferingid',
          label: 'Network offering',
          options: {
            command: 'listNetworkOfferings',
            key: 'networkoffering',
            params: { guestiptype: 'Isolated', state: 'Enabled', forvpc: false },
          },
        },
      ],
    },
    actions: [
      { label: 'Delete', command: 'deleteNetwork', params: byId, confirm: (n) => `Delete network ${n.name}?` },
    ],
  },
  {
    path: 'vpcs',
    title: 'VPCs',
    command: 'listVPCs',
    key: 'vpc',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'CIDR', field: 'cidr' },
      { label: 'State', field: 'state' },
      { label: 'Zone', field: 'zonename' },
    ],
    create: {
      label: 'Add VPC',
      command: 'createVPC',
     
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'displaytext', label: 'Description', required: true },
        zoneField,
        { name: 'cidr', label: 'CIDR', required: true, placeholder: '10.1.0.0/16' },
        { name: 'vpcofferingid', label: 'VPC offering', options: { command: 'listVPCOfferings', key: 'vpcoffering' } },
      ],
    },
    actions: [
      {
        label: 'Add tier',
        command: 'createNetwork',
        params: (vpc) => ({ vpcid: vpc.id, zoneid: vpc.zoneid }),
        form: [
          { name: 'name', label: 'Tier name', required: true },
          { name: 'displaytext', label: 'Description' },
          { name: 'gateway', label: 'Gateway', required: true, placeholder: '10.1.1.1' },
          { name: 'netmask', label: 'Netmask', required: true, initial: () => '255.255.255.0' },
          {
            name: 'networkofferingid',
            label: 'Network offering',
            required: true,
            options: { command: 'listNetworkOfferings', key: 'networkoffering', params: { forvpc: true, state: 'Enabled' } },
          },
        ],
      },
      { label: 'Delete', command: 'deleteVPC', params: byId, confirm: (v) => `Delete VPC ${v.name}?` },
    ],
  },
  {
    path: 'security-groups',
    title: 'Security groups',
    command: 'listSecurityGroups',
    key: 'securitygroup',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Description', field: 'description' },
      { label: 'Ingress rules', value: (g) => (g.ingressrule || []).length },
      { label: 'Egress rules', value: (g) => (g.egressrule || []).length },
    ],
    create: {
      label: 'Add security group',
      command: 'createSecurityGroup',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'description', label: 'Description' },
      ],
    },
    actions: [
      {
        label: 'Add ingress rule',
        command: 'authorizeSecurityGroupIngress',
        params: (g) => ({ securitygroupid: g.id }),
        form: [
          protocolField,
          { name: 'startport', label: 'Start port', type: 'number' },
          { name: 'endport', label: 'End port', type: 'number' },
          { name: 'cidrlist', label: 'Source CIDRs', required: true, initial: () => '0.0.0.0/0' },
        ],
      },
      { label: 'Delete', command: 'deleteSecurityGroup', params: byId, when: (g) => g.name !== 'default', confirm: (g) => `Delete security group ${g.name}?` },
    ],
  },
  {
    path: 'public-ips',
    title: 'Public IP addresses',
    command: 'listPublicIpAddresses',
    key: 'publicipaddress',
    columns: [
      { label: 'IP address', field: 'ipaddress' },
      { label: 'State', field: 'state' },
      { label: 'Network', field: 'associatednetworkname' },
      { label: 'Source NAT', value: (ip) => (ip.issourcenat ? 'yes' : '') },
      { label: 'Zone', field: 'zonename' },
    ],
    create: {
      label: 'Acquire IP address',
      command: 'associateIpAddress',
     
      fields: [{ name: 'networkid', label: 'Network', options: { command: 'listNetworks', key: 'network' } }],
    },
    actions: [
      { label: 'Release', command: 'disassociateIpAddress', params: byId, when: (ip) => !ip.issourcenat, confirm: (ip) => `Release ${ip.ipaddress}?` },
    ],
  },
  {
    path: 'firewall',
    title: 'Firewall rules',
    command: 'listFirewallRules',
    key: 'firewallrule',
    columns: [
      { label: 'Public IP', field: 'ipaddress' },
      { label: 'Protocol', field: 'protocol' },
      { label: 'Ports', value: (r) => (r.startport ? `${r.startport}-${r.endport}` : '') },
      { label: 'Source CIDRs', field: 'cidrlist' },
      { label: 'State', field: 'state' },
    ],
    create: {
      label: 'Add firewall rule',
      command: 'createFirewallRule',
     
      fields: [
        publicIpField,
        protocolField,
        { name: 'startport', label: 'Start port', type: 'number' },
        { name: 'endport', label: 'End port', type: 'number' },
        { name: 'cidrlist', label: 'Source CIDRs', placeholder: '0.0.0.0/0' },
      ],
    },
    actions: [{ label: 'Delete', command: 'deleteFirewallRule', params: byId }],
  },
  {
    path: 'port-forwarding',
    title: 'Port forwarding',
    command: 'listPortForwardingRules',
    key: 'portforwardingrule',
    columns: [
      { label: 'Public IP', field: 'ipaddress' },
      { label: 'Public port', field: 'publicport' },
      { label: 'Private port', field: 'privateport' },
      { label: 'Protocol', field: 'protocol' },
      { label: 'Instance', field: 'virtualmachinename' },
      { label: 'State', field: 'state' },
    ],
    create: {
      label: 'Add port forwarding rule',
      command: 'createPortForwardingRule',
     
      fields: [
        publicIpField,
        { name: 'protocol', label: 'Protocol', options: ['tcp', 'udp'] },
        { name: 'publicport', label: 'Public port', type: 'number', required: true },
        { name: 'privateport', label: 'Private port', type: 'number', required: true },
        instanceField,
      ],
    },
    actions: [{ label: 'Delete', command: 'deletePortForwardingRule', params: byId }],
  },
  {
    path: 'load-balancers',
    title: 'Load balancer rules',
    command: 'listLoadBalancerRules',
    key: 'loadbalancerrule',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Public IP', field: 'publicip' },
      { label: 'Ports', value: (r) => `${r.publicport} → ${r.privateport}` },
      { label: 'Algorithm', field: 'algorithm' },
      { label: 'State', field: 'state' },
    ],
    create: {
      label: 'Add load balancer rule',
      command: 'createLoadBalancerRule',
     
      fields: [
        { name: 'name', label: 'Name', required: true },
        { ...publicIpField, name: 'publicipid' },
        { name: 'algorithm', label: 'Algorithm', options: ['roundrobin', 'leastconn', 'source'] },
        { name: 'publicport', label: 'Public port', type: 'number', required: true },
        { name: 'privateport', label: 'Private port', type: 'number', required: true },
      ],
    },
    actions: [
      {
        label: 'Add instance',
        command: 'assignToLoadBalancerRule',
        params: byId,
        form: [{ ...instanceField, name: 'virtualmachineids' }],
      },
      { label: 'Delete', command: 'deleteLoadBalancerRule', params: byId },
    ],
  },
  {
    path: 'buckets',
    title: 'Buckets',
    command: 'listBuckets',
    key: 'bucket',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Size', value: (b) => gib(b.size) },
      { label: 'Objects', field: 'objectcount' },
      { label: 'Created', field: 'created' },
    ],
    create: {
      label: 'Create bucket',
      command: 'createBucket',
     
      fields: [
        { name: 'name', label: 'Name', required: true },
        {
          name: 'objectstorageid',
          label: 'Object storage',
          options: { command: 'listObjectStoragePools', key: 'objectstore' },
        },
      ],
    },
    actions: [
      { label: 'Browse', to: (b) => `/buckets/${encodeURIComponent(b.name)}` },
      { label: 'Delete', command: 'deleteBucket', params: byId, confirm: (b) => `Delete bucket ${b.name}?` },
    ],
  },
  {
    path: 'events',
    title: 'Events',
    command: 'listEvents',
    key: 'event',
    columns: [
      { label: 'Time', field: 'created' },
      { label: 'Type', field: 'type' },
      { label: 'Level', field: 'level' },
      { label: 'Description', field: 'description' },
      { label: 'User', field: 'username' },
    ],
  },
  {
    path: 'zones',
    title: 'Zones',
    admin: true,
    command: 'listZones',
    key: 'zone',
    link: { label: 'Add zone (wizard)', to: '/zone-wizard' },
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Network type', field: 'networktype' },
      { label: 'Allocation', field: 'allocationstate' },
      { label: 'DNS', field: 'dns1' },
    ],
    actions: [
      { label: 'Enable', command: 'updateZone', params: (z) => ({ id: z.id, allocationstate: 'Enabled' }), when: (z) => z.allocationstate !== 'Enabled' },
      { label: 'Disable', command: 'updateZone', params: (z) => ({ id: z.id, allocationstate: 'Disabled' }), when: (z) => z.allocationstate === 'Enabled' },
    ],
  },
  {
    path: 'pods',
    title: 'Pods',
    admin: true,
    command: 'listPods',
    key: 'pod',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Zone', field: 'zonename' },
      { label: 'Gateway', field: 'gateway' },
      { label: 'Allocation', field: 'allocationstate' },
    ],
  },
  {
    path: 'clusters',
    title: 'Clusters',
    admin: true,
    command: 'listClusters',
    key: 'cluster',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Pod', field: 'podname' },
      { label: 'Hypervisor', field: 'hypervisortype' },
      { label: 'Allocation', field: 'allocationstate' },
    ],
  },
  {
    path: 'hosts',
    title: 'Hosts',
    admin: true,
    command: 'listHosts',
    key: 'host',
    params: { type: 'Routing' },
    create: {
      label: 'Add host',
      command: 'addHost',
      fields: [
        zoneField,
        { name: 'podid', label: 'Pod', options: { command: 'listPods', key: 'pod' } },
        { name: 'clusterid', label: 'Cluster', options: { command: 'listClusters', key: 'cluster' } },
        { name: 'hypervisor', label: 'Hypervisor', required: true, options: { command: 'listHypervisors', key: 'hypervisor', value: 'name' } },
        { name: 'url', label: 'Host URL', required: true, placeholder: 'simulator://host-2' },
        { name: 'username', label: 'Username', required: true },
        { name: 'password', label: 'Password', type: 'password' },
      ],
    },
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'State', field: 'state' },
      { label: 'Resource state', field: 'resourcestate' },
      { label: 'Hypervisor', field: 'hypervisor' },
      { label: 'Cluster', field: 'clustername' },
      { label: 'IP address', field: 'ipaddress' },
    ],
    actions: [
      {
        label: 'Enter maintenance',
        command: 'prepareHostForMaintenance',
       
        params: byId,
        when: (h) => h.resourcestate === 'Enabled',
        confirm: (h) => `Put host ${h.name} into maintenance? Its VMs are migrated away.`,
      },
      {
        label: 'Cancel maintenance',
        command: 'cancelHostMaintenance',
       
        params: byId,
        when: (h) => ['Maintenance', 'PrepareForMaintenance', 'ErrorInMaintenance'].includes(h.resourcestate),
      },
    ],
  },
  {
    path: 'primary-storage',
    title: 'Primary storage',
    admin: true,
    command: 'listStoragePools',
    key: 'storagepool',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'State', field: 'state' },
      { label: 'Scope', field: 'scope' },
      { label: 'Path', field: 'path' },
      { label: 'Used', value: (p) => `${gib(p.disksizeused)} of ${gib(p.disksizetotal)}` },
    ],
  },
  {
    path: 'secondary-storage',
    title: 'Secondary storage',
    admin: true,
    command: 'listImageStores',
    key: 'imagestore',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Protocol', field: 'protocol' },
      { label: 'URL', field: 'url' },
      { label: 'Zone', field: 'zonename' },
    ],
  },
  {
    path: 'compute-offerings',
    title: 'Compute offerings',
    admin: true,
    command: 'listServiceOfferings',
    key: 'serviceoffering',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'vCPUs', field: 'cpunumber' },
      { label: 'CPU MHz', field: 'cpuspeed' },
      { label: 'Memory (MiB)', field: 'memory' },
    ],
    create: {
      label: 'Add compute offering',
      command: 'createServiceOffering',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'displaytext', label: 'Description', required: true },
        { name: 'cpunumber', label: 'vCPUs', type: 'number', required: true },
        { name: 'cpuspeed', label: 'CPU MHz', type: 'number', required: true },
        { name: 'memory', label: 'Memory (MiB)', type: 'number', required: true },
      ],
    },
    actions: [
      { label: 'Delete', command: 'deleteServiceOffering', params: byId, confirm: (o) => `Delete offering ${o.name}?` },
    ],
  },
  {
    path: 'disk-offerings',
    title: 'Disk offerings',
    admin: true,
    command: 'listDiskOfferings',
    key: 'diskoffering',
    create: {
      label: 'Add disk offering',
      command: 'createDiskOffering',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'displaytext', label: 'Description', required: true },
        { name: 'disksize', label: 'Size (GiB; empty for a custom size)', type: 'number' },
        { name: 'customized', label: 'Custom size', options: ['false', 'true'] },
      ],
    },
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Size (GiB)', value: (o) => (o.iscustomized ? 'custom' : o.disksize) },
      { label: 'Description', field: 'displaytext' },
    ],
  },
  {
    path: 'templates',
    title: 'Templates',
    admin: true,
    command: 'listTemplates',
    key: 'template',
    params: { templatefilter: 'all' },
    create: {
      label: 'Register template',
      command: 'registerTemplate',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'displaytext', label: 'Description', required: true },
        { name: 'url', label: 'URL', required: true, placeholder: 'http://… or file:///…' },
        zoneField,
        { name: 'format', label: 'Format', options: ['QCOW2', 'RAW', 'VHD', 'OVA', 'ISO'] },
        { name: 'hypervisor', label: 'Hypervisor', required: true, options: { command: 'listHypervisors', key: 'hypervisor', value: 'name' } },
        { name: 'ostypeid', label: 'OS type', options: { command: 'listOsTypes', key: 'ostype', label: 'description' } },
        { name: 'ispublic', label: 'Public', options: ['true', 'false'] },
      ],
    },
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'OS type', field: 'ostypename' },
      { label: 'Ready', value: (t) => (t.isready ? 'yes' : t.status) },
      { label: 'Hypervisor', field: 'hypervisor' },
      { label: 'Format', field: 'format' },
      { label: 'Zone', field: 'zonename' },
    ],
  },
  {
    path: 'accounts',
    title: 'Accounts',
    admin: true,
    command: 'listAccounts',
    key: 'account',
    create: {
      label: 'Add account',
      command: 'createAccount',
      fields: [
        { name: 'username', label: 'Username', required: true },
        { name: 'password', label: 'Password', type: 'password', required: true },
        { name: 'email', label: 'Email', type: 'email', required: true },
        { name: 'firstname', label: 'First name', required: true },
        { name: 'lastname', label: 'Last name', required: true },
        { name: 'roleid', label: 'Role', required: true, options: { command: 'listRoles', key: 'role' } },
        { name: 'domainid', label: 'Domain', options: { command: 'listDomains', key: 'domain', label: 'path' } },
      ],
    },
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Role', field: 'rolename' },
      { label: 'Domain', field: 'domain' },
      { label: 'State', field: 'state' },
      { label: 'VMs', field: 'vmtotal' },
    ],
    actions: [
      { label: 'Disable', command: 'disableAccount', params: (a) => ({ id: a.id, lock: false }), when: (a) => a.state === 'enabled' },
      { label: 'Enable', command: 'enableAccount', params: byId, when: (a) => a.state !== 'enabled' },
    ],
  },
  {
    path: 'domains',
    title: 'Domains',
    admin: true,
    command: 'listDomains',
    key: 'domain',
    create: {
      label: 'Add domain',
      command: 'createDomain',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'parentdomainid', label: 'Parent domain', options: { command: 'listDomains', key: 'domain', label: 'path' } },
      ],
    },
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Path', field: 'path' },
      { label: 'Level', field: 'level' },
    ],
  },
  {
    path: 'users',
    title: 'Users',
    admin: true,
    command: 'listUsers',
    key: 'user',
    columns: [
      { label: 'Username', field: 'username' },
      { label: 'Account', field: 'account' },
      { label: 'Domain', field: 'domain' },
      { label: 'State', field: 'state' },
    ],
  },
  {
    path: 'roles',
    title: 'Roles',
    admin: true,
    command: 'listRoles',
    key: 'role',
    create: {
      label: 'Add role',
      command: 'createRole',
      fields: [
        { name: 'name', label: 'Name', required: true },
        { name: 'type', label: 'Type', options: ['User', 'DomainAdmin', 'ResourceAdmin', 'Admin'] },
        { name: 'description', label: 'Description' },
      ],
    },
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Type', field: 'type' },
      { label: 'Description', field: 'description' },
    ],
  },
  {
    path: 'settings',
    title: 'Global settings',
    admin: true,
    command: 'listConfigurations',
    key: 'configuration',
    search: 'name',
    columns: [
      { label: 'Name', field: 'name' },
      { label: 'Value', field: 'value' },
      { label: 'Category', field: 'category' },
      { label: 'Description', field: 'description' },
    ],
    actions: [
      {
        label: 'Edit',
        command: 'updateConfiguration',
        form: [{ name: 'value', label: 'New value', initial: (c) => c.value }],
        params: (c) => ({ name: c.name }),
      },
    ],
  },
  {
    path: 'alerts',
    title: 'Alerts',
    admin: true,
    command: 'listAlerts',
    key: 'alert',
    columns: [
      { label: 'Time', field: 'sent' },
      { label: 'Type', field: 'name' },
      { label: 'Description', field: 'description' },
    ],
  },
  {
    path: 'jobs',
    title: 'Async jobs',
    admin: true,
    command: 'listAsyncJobs',
    key: 'asyncjobs',
    columns: [
      { label: 'Command', field: 'cmd' },
      { label: 'Status', value: (j) => ['pending', 'succeeded', 'failed'][j.jobstatus] ?? j.jobstatus },
      { label: 'Created', field: 'created' },
      { label: 'Account', field: 'account' },
    ],
  },
]

// Every page's title by path: the list pages and the views of their own.
export const titles = {
  ...Object.fromEntries(listPages.map((page) => [page.path, page.title])),
  limits: 'Limits and usage',
}
