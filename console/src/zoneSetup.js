// What the zone wizard asks for, step by step, and the native commands that build the zone
// from the answers: the same order an administrator follows by hand.
import { call, perform } from './api.js'

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/
const ENABLED_PROVIDERS = ['VirtualRouter', 'VpcVirtualRouter', 'SecurityGroupProvider']
export const TRAFFIC_TYPES = ['Guest', 'Public', 'Management', 'Storage']

const ip = (name, label, initial = '') => ({ name, label, required: true, ip: true, initial })
const text = (name, label, initial = '', extra = {}) => ({ name, label, required: true, initial, ...extra })

export const ZONE_STEPS = [
  { title: 'Zone', fields: [text('zoneName', 'Zone name'), ip('dns1', 'Public DNS', '1.1.1.1'), ip('internaldns1', 'Internal DNS', '1.1.1.1')] },
  {
    title: 'Physical network',
    fields: [
      text('physicalName', 'Physical network name', 'physnet1'),
      text('vlan', 'Guest VLAN range', '100-999', { pattern: /^\d+-\d+$/, hint: 'like 100-999' }),
      ip('publicGateway', 'Public gateway', '203.0.113.1'),
      ip('publicNetmask', 'Public netmask', '255.255.255.0'),
      ip('publicStart', 'Public start IP', '203.0.113.10'),
      ip('publicEnd', 'Public end IP', '203.0.113.250'),
    ],
    traffic: true,
  },
  {
    title: 'Pod',
    fields: [
      text('podName', 'Pod name', 'pod1'),
      ip('podGateway', 'Reserved system gateway', '10.0.0.1'),
      ip('podNetmask', 'Reserved system netmask', '255.255.0.0'),
      ip('podStart', 'Reserved system start IP', '10.0.0.10'),
      ip('podEnd', 'Reserved system end IP', '10.0.255.250'),
    ],
  },
  {
    title: 'Cluster',
    fields: [
      text('clusterName', 'Cluster name', 'cluster1'),
      { name: 'hypervisor', label: 'Hypervisor', required: true, options: { command: 'listHypervisors', key: 'hypervisor', value: 'name' } },
    ],
  },
  {
    title: 'Host',
    fields: [
      text('hostUrl', 'Host URL', 'simulator://host-1', { hint: 'simulator://NAME, qemu:///system or http://HOST' }),
      text('hostUsername', 'Username', 'root'),
      { name: 'hostPassword', label: 'Password', type: 'password', initial: '' },
    ],
  },
  { title: 'Primary storage', fields: [text('primaryName', 'Name', 'primary1'), text('primaryUrl', 'URL', '', { hint: 'file:///PATH or nfs://HOST/PATH' })] },
  { title: 'Secondary storage', fields: [text('secondaryName', 'Name', 'secondary1'), text('secondaryUrl', 'URL', '', { hint: 'file:///PATH or nfs://HOST/PATH' })] },
]

// The first problem with one step's answers, naming the field, or ''.
export function checkStep(step, answers, traffic) {
  for (const field of step.fields) {
    const value = String(answers[field.name] ?? '').trim()
    if (field.required && !value) return `${field.label}: required.`
    if (value && field.ip && !IPV4.test(value)) return `${field.label}: ${value} is not an IPv4 address.`
    if (value && field.pattern && !field.pattern.test(value)) return `${field.label}: ${field.hint}.`
  }
  if (step.traffic && !['Guest', 'Public', 'Management'].every((type) => traffic.includes(type))) {
    return 'Traffic types: Guest, Public and Management are needed.'
  }
  return ''
}

// Builds the zone; report(label) is called before each command. Returns the zone's id.
export async function buildZone(a, traffic, report) {
  const run = (label, command, params) => { report(label); return perform(command, params) }
  const zone = (await run('Creating the zone', 'createZone', { name: a.zoneName, networktype: 'Advanced', dns1: a.dns1, internaldns1: a.internaldns1 })).zone
  const physical = (await run('Creating the physical network', 'createPhysicalNetwork', { zoneid: zone.id, name: a.physicalName, vlan: a.vlan, isolationmethods: 'VLAN' })).physicalnetwork
  for (const type of traffic) await run(`Adding ${type} traffic`, 'addTrafficType', { physicalnetworkid: physical.id, traffictype: type })
  const providers = (await call('listNetworkServiceProviders', { physicalnetworkid: physical.id })).networkserviceprovider || []
  for (const provider of providers.filter((p) => ENABLED_PROVIDERS.includes(p.name))) {
    await run(`Enabling ${provider.name}`, 'updateNetworkServiceProvider', { id: provider.id, state: 'Enabled' })
  }
  await run('Enabling the physical network', 'updatePhysicalNetwork', { id: physical.id, state: 'Enabled' })
  await run('Adding the public IP range', 'createVlanIpRange', { zoneid: zone.id, forvirtualnetwork: true, vlan: 'untagged', gateway: a.publicGateway, netmask: a.publicNetmask, startip: a.publicStart, endip: a.publicEnd })
  const pod = (await run('Creating the pod', 'createPod', { zoneid: zone.id, name: a.podName, gateway: a.podGateway, netmask: a.podNetmask, startip: a.podStart, endip: a.podEnd })).pod
  const placement = { zoneid: zone.id, podid: pod.id, hypervisor: a.hypervisor }
  const clusters = (await run('Adding the cluster', 'addCluster', { ...placement, clustername: a.clusterName, clustertype: 'CloudManaged' })).cluster
  const cluster = Array.isArray(clusters) ? clusters[0] : clusters
  await run('Adding the host', 'addHost', { ...placement, clusterid: cluster.id, url: a.hostUrl, username: a.hostUsername, password: a.hostPassword })
  await run('Adding primary storage', 'createStoragePool', { zoneid: zone.id, name: a.primaryName, scope: 'zone', hypervisor: a.hypervisor, url: a.primaryUrl })
  await run('Adding secondary storage', 'addImageStore', { zoneid: zone.id, name: a.secondaryName, provider: 'NFS', url: a.secondaryUrl })
  await run('Enabling the zone', 'updateZone', { id: zone.id, allocationstate: 'Enabled' })
  return zone.id
}
