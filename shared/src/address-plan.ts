// kip's address plan, by default as a kubeadm cluster's: pods in 10.244.0.0/16 (a /24 per node),
// services in 10.96.0.0/16; the control plane's --pod-cidr and --service-cidr change them. The addresses are virtual: only the agents' proxies resolve them, so
// nothing outside a pod ever dials one itself.

export const POD_NETWORK_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/16';

/** The two ranges, as the control plane is configured (--pod-cidr, --service-cidr). */
export interface AddressPlan {
  podNetworkCidr: string;
  serviceCidr: string;
}

export const DEFAULT_ADDRESS_PLAN: AddressPlan = { podNetworkCidr: POD_NETWORK_CIDR, serviceCidr: SERVICE_CIDR };
