// kip's address plan, as a kubeadm cluster's defaults: pods in 10.244.0.0/16 (a /24 per node),
// services in 10.96.0.0/16. The addresses are virtual: only the agents' proxies resolve them, so
// nothing outside a pod ever dials one itself.

export const POD_NETWORK_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/16';
