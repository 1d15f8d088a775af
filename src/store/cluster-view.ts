/** A key bound to a lease: its value and the lease (etcd's decimal ID; '0' for none). */
export interface LeasedValue {
  readonly value: string;
  readonly lease: string;
}

/**
 * Which hosts hold a mount of which volume, and who owns each single-writer volume, as the
 * etcd watch last told this host. Plain data: the store feeds it in revision order.
 */
export class ClusterView {
  readonly #mounts = new Map<string, Map<string, LeasedValue>>();
  readonly #owners = new Map<string, LeasedValue>();

  public setMount(name: string, host: string, value: LeasedValue | undefined): void {
    const hosts = this.#mounts.get(name) ?? new Map<string, LeasedValue>();
    if (value === undefined) {
      hosts.delete(host);
    } else {
      hosts.set(host, value);
    }
    if (hosts.size === 0) {
      this.#mounts.delete(name);
    } else {
      this.#mounts.set(name, hosts);
    }
  }

  public setOwner(name: string, value: LeasedValue | undefined): void {
    if (value === undefined) {
      this.#owners.delete(name);
    } else {
      this.#owners.set(name, value);
    }
  }

  /** Hosts with a mount record of the volume, by name. */
  public hostsOf(name: string): string[] {
    return [...(this.#mounts.get(name)?.keys() ?? [])].sort();
  }

  public mount(name: string, host: string): LeasedValue | undefined {
    return this.#mounts.get(name)?.get(host);
  }

  /** The host holding the single-writer volume, with its lease. */
  public owner(name: string): { readonly host: string; readonly lease: string } | undefined {
    const owner = this.#owners.get(name);
    return owner === undefined ? undefined : { host: owner.value, lease: owner.lease };
  }

  /** Volumes `host` has a mount record or owner key of. */
  public heldBy(host: string): string[] {
    const names = new Set<string>();
    this.#mounts.forEach((hosts, name) => { if (hosts.has(host)) names.add(name); });
    this.#owners.forEach((owner, name) => { if (owner.value === host) names.add(name); });
    return [...names];
  }

  /** Every mount record, as [volume, host]. */
  public allMounts(): [string, string][] {
    return [...this.#mounts].flatMap(([name, hosts]) => [...hosts.keys()].map((host): [string, string] => [name, host]));
  }

  /** Every volume with an owner key. */
  public allOwned(): string[] {
    return [...this.#owners.keys()];
  }

  public clear(): void {
    this.#mounts.clear();
    this.#owners.clear();
  }
}
