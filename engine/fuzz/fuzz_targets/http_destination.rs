//! Fuzz target `http_destination`: feeds destinations to the HTTP step's network policy
//! (`engine/runtime/src/http_call/guard.rs`): `NetPolicy::allows_ip` for an address reached
//! through a host name, and `url_refusal` for a URL as a workflow wrote it, each under an
//! allow-list read from the input (`NetPolicy::from_entries`).
//!
//! Input: byte 0 picks the mode: an IPv4 address (the next 4 bytes), an IPv6 address (the
//! next 16 bytes) or a URL. The rest is UTF-8 lines: the host name the address was reached
//! through (empty: the literal itself) or the URL, then allow-list entries, one a line.
//!
//! Asserts that the guard's decision equals an independent reference written here from the
//! policy as documented, with `std::net`'s own classification (`is_loopback`, `is_private`,
//! `is_link_local`, `is_unique_local`, `is_multicast`, `to_ipv4_mapped`, ...) and a table of
//! the other non-public ranges checked by masking (CGNAT 100.64/10, benchmarking,
//! documentation, reserved, NAT64 and 6to4 with the IPv4 address they carry, everything
//! outside 2000::/3), and an allow-list parsed here too. Any disagreement fails.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runtime::http_call::{url_refusal, NetPolicy};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else { return };
    let (ip, text) = match mode % 3 {
        0 if rest.len() >= 4 => (Some(IpAddr::from(<[u8; 4]>::try_from(&rest[..4]).expect("4 bytes"))), &rest[4..]),
        1 if rest.len() >= 16 => {
            (Some(IpAddr::from(<[u8; 16]>::try_from(&rest[..16]).expect("16 bytes"))), &rest[16..])
        }
        2 => (None, rest),
        _ => return,
    };
    let Ok(text) = std::str::from_utf8(text) else { return };
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or_default();
    let entries: Vec<String> = lines.map(str::to_owned).collect();
    // The allow-list's grammar is not the policy: only lists both readings accept are compared.
    let (Ok(policy), Some(allowed)) = (NetPolicy::from_entries(&entries), AllowList::parse(&entries)) else { return };
    match ip {
        Some(ip) => {
            let host = if first.is_empty() { ip.to_string() } else { first.to_owned() };
            let expected = allowed.permits(&host, ip);
            assert_eq!(policy.allows_ip(&host, ip), expected, "{ip} through {host:?} with {entries:?}");
        }
        None => {
            let Ok(url) = url::Url::parse(first.trim()) else { return };
            let expected_refused = match (url.scheme(), url.host()) {
                ("http" | "https", Some(url::Host::Ipv4(v4))) => !allowed.permits(&v4.to_string(), IpAddr::V4(v4)),
                ("http" | "https", Some(url::Host::Ipv6(v6))) => !allowed.permits(&v6.to_string(), IpAddr::V6(v6)),
                ("http" | "https", _) => false,
                _ => true,
            };
            let refusal = url_refusal(&policy, &url);
            assert_eq!(refusal.is_some(), expected_refused, "{url} with {entries:?}: {refusal:?}");
        }
    }
});

/// The allow-list as the documentation describes it: networks (`10.0.0.0/8`, `::1/128`), bare
/// addresses (that one address) and host names (exact, case-insensitive, with or without the
/// root's trailing dot).
struct AllowList {
    hosts: Vec<String>,
    nets: Vec<(IpAddr, u8)>,
}

impl AllowList {
    /// `None` for an entry this reading does not understand.
    fn parse(entries: &[String]) -> Option<AllowList> {
        let mut list = AllowList { hosts: Vec::new(), nets: Vec::new() };
        for entry in entries {
            let entry = entry.trim();
            let bare = entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')).unwrap_or(entry);
            if let Some((address, prefix)) = entry.split_once('/') {
                let address: IpAddr = address.parse().ok()?;
                let prefix: u8 = prefix.parse().ok()?;
                let bits = if address.is_ipv4() { 32 } else { 128 };
                if prefix > bits || prefix.to_string() != entry.split_once('/')?.1 {
                    return None;
                }
                list.nets.push((address, prefix));
            } else if let Ok(address) = bare.parse::<IpAddr>() {
                list.nets.push((address, if address.is_ipv4() { 32 } else { 128 }));
            } else {
                list.hosts.push(host_key(entry));
            }
        }
        Some(list)
    }

    /// May `ip`, reached through `host`, be called?
    fn permits(&self, host: &str, ip: IpAddr) -> bool {
        if self.hosts.contains(&host_key(host)) {
            return true;
        }
        // An allow-listed IPv4 network also covers the same addresses written IPv4-mapped.
        let mapped = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        let listed = |candidate: IpAddr| self.nets.iter().any(|&(net, prefix)| contains(net, prefix, candidate));
        listed(ip) || mapped.is_some_and(listed) || is_public(ip)
    }
}

fn host_key(host: &str) -> String {
    let host = host.trim();
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

fn contains(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) => v4_in(ip, net, prefix),
        (IpAddr::V6(net), IpAddr::V6(ip)) => v6_in(ip, net, prefix),
        _ => false,
    }
}

fn v4_in(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn v6_in(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

fn v6(segments: [u16; 8]) -> Ipv6Addr {
    Ipv6Addr::from(segments)
}

/// Is `ip` publicly routable, by the policy's documentation?
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => public_v4(ip),
        IpAddr::V6(ip) => public_v6(ip),
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_documentation()
        || ip.is_multicast()
        || ip.is_broadcast()
        || v4_in(ip, v4(100, 64, 0, 0), 10) // shared address space (CGNAT)
        || v4_in(ip, v4(198, 18, 0, 0), 15) // benchmarking
        || v4_in(ip, v4(0, 0, 0, 0), 8) // "this network"
        || v4_in(ip, v4(240, 0, 0, 0), 4) // future use
        || v4_in(ip, v4(192, 0, 0, 0), 24) // IETF protocol assignments
        || v4_in(ip, v4(192, 88, 99, 0), 24); // 6to4 relay anycast (deprecated)
    !special
}

fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return public_v4(mapped);
    }
    if ip.is_unspecified() || ip.is_loopback() {
        return false;
    }
    let bits = u128::from(ip);
    // NAT64's well-known prefix: a gateway reaches the IPv4 address in the last 32 bits.
    if v6_in(ip, v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0]), 96) {
        return public_v4(Ipv4Addr::from(bits as u32));
    }
    // 6to4: the IPv4 address in bits 16..48 must itself be public.
    if v6_in(ip, v6([0x2002, 0, 0, 0, 0, 0, 0, 0]), 16) && !public_v4(Ipv4Addr::from((bits >> 80) as u32)) {
        return false;
    }
    let special = ip.is_unique_local()
        || ip.is_unicast_link_local()
        || ip.is_multicast()
        || v6_in(ip, v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]), 48) // local-use NAT64
        || v6_in(ip, v6([0xfec0, 0, 0, 0, 0, 0, 0, 0]), 10) // site-local (deprecated)
        || v6_in(ip, v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]), 32) // documentation
        || v6_in(ip, v6([0x3fff, 0, 0, 0, 0, 0, 0, 0]), 20) // documentation
        || v6_in(ip, v6([0x2001, 2, 0, 0, 0, 0, 0, 0]), 48) // benchmarking
        || v6_in(ip, v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 23) // IETF protocol assignments
        || !v6_in(ip, v6([0x2000, 0, 0, 0, 0, 0, 0, 0]), 3); // outside global unicast
    !special
}
