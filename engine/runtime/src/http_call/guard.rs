//! The HTTP step's network policy: which destinations may be reached (private, loopback and
//! other non-public ranges refused unless allow-listed), the DNS resolver that hands reqwest
//! only allowed addresses, and the up-front check of a URL's scheme and IP literal.

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Which destinations the HTTP step may reach. By default private, loopback, link-local,
/// unique-local, CGNAT (100.64/10), multicast, broadcast, unspecified and documentation
/// ranges (v4 and v6, including IPv4-mapped v6 like ::ffff:127.0.0.1) are refused, so a workflow
/// author cannot use Switchboard to reach the machines around it (cloud metadata, databases,
/// admin consoles). The allow-list lets an operator open specific internal services.
#[derive(Debug, Clone, Default)]
pub struct NetPolicy {
    /// Host names (lowercase, without a trailing dot) that may resolve to any address.
    pub(super) allow_hosts: Vec<String>,
    /// Networks that may be reached whatever name led to them.
    pub(super) allow_nets: Vec<IpNet>,
}

impl NetPolicy {
    /// A policy that also permits these host names (exact, case-insensitive) and networks.
    pub fn new(allow_hosts: Vec<String>, allow_nets: Vec<IpNet>) -> Self {
        let allow_hosts = allow_hosts.iter().map(|h| normalise_host(h)).collect();
        let allow_nets = allow_nets.iter().map(IpNet::trunc).collect();
        NetPolicy { allow_hosts, allow_nets }
    }

    /// Parses entries like "crm.internal", "10.0.0.0/8", "127.0.0.1/32", "::1/128". A bare
    /// address ("10.0.0.5") means that one address. Every bad entry is reported, joined by "; ".
    pub fn from_entries(entries: &[String]) -> Result<Self, String> {
        let mut hosts = Vec::new();
        let mut nets = Vec::new();
        let mut problems = Vec::new();
        for entry in entries {
            match parse_entry(entry.trim()) {
                Ok(Entry::Host(host)) => hosts.push(host),
                Ok(Entry::Net(net)) => nets.push(net),
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() {
            Ok(NetPolicy::new(hosts, nets))
        } else {
            Err(problems.join("; "))
        }
    }

    /// May a connection to `ip`, reached through the name `host` (or the literal itself), be made?
    pub fn allows_ip(&self, host: &str, ip: IpAddr) -> bool {
        self.refusal(host, ip).is_none()
    }

    /// Why a connection to `ip` through `host` is refused, as a sentence for the step's `error`
    /// output; `None` when it is permitted.
    pub(super) fn refusal(&self, host: &str, ip: IpAddr) -> Option<String> {
        let host = normalise_host(host);
        if self.allow_hosts.contains(&host) {
            return None;
        }
        // An allow-listed 127.0.0.1/32 also covers ::ffff:127.0.0.1: both reach the same socket.
        let canonical = ip.to_canonical();
        if self.allow_nets.iter().any(|net| net.contains(&ip) || net.contains(&canonical)) {
            return None;
        }
        let kind = restricted_kind(ip)?;
        // A literal is shown once, in its usual spelling (URLs spell ::ffff:127.0.0.1 in hex).
        let destination =
            if host.parse::<IpAddr>().ok() == Some(ip) { ip.to_string() } else { format!("{host} ({ip})") };
        Some(format!("destination {destination} is {kind}; add it to the HTTP allow-list to call it"))
    }
}

/// One parsed allow-list entry.
enum Entry {
    Host(String),
    Net(IpNet),
}

/// One allow-list entry: a network with a `/`, a bare address (that address alone), else a host name.
fn parse_entry(entry: &str) -> Result<Entry, String> {
    if entry.is_empty() {
        return Err("an allow-list entry is empty".to_owned());
    }
    if entry.contains('/') {
        return entry
            .parse::<IpNet>()
            .map(Entry::Net)
            .map_err(|_| format!("\"{entry}\" is not a network (write one like 10.0.0.0/8 or fd00::/8)"));
    }
    let bare = entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')).unwrap_or(entry);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(Entry::Net(IpNet::from(ip)));
    }
    if entry.contains('*') {
        return Err(format!("\"{entry}\": wildcards are not supported; list each host name"));
    }
    let name = entry.strip_suffix('.').unwrap_or(entry);
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if name.len() <= 253 && name.split('.').all(valid_label) {
        Ok(Entry::Host(normalise_host(entry)))
    } else {
        Err(format!(
            "\"{entry}\" is neither a host name (like crm.internal, without scheme or port) \
             nor a network (like 10.0.0.0/8)"
        ))
    }
}

/// Host names compare case-insensitively and with or without the root's trailing dot; IPv6
/// literals compare without their URL brackets.
fn normalise_host(host: &str) -> String {
    let host = host.trim();
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// The kind of a non-public address (with its article, for messages), or `None` when the
/// address is publicly routable.
fn restricted_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

/// [`restricted_kind`] for IPv4.
fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(if ip.is_unspecified() {
        "an unspecified address"
    } else if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_private() {
        "a private address"
    } else if a == 100 && (b & 0xc0) == 64 {
        "a shared (CGNAT) address"
    } else if ip.is_link_local() {
        "a link-local address"
    } else if ip.is_documentation() {
        "a documentation address"
    } else if a == 198 && (b & 0xfe) == 18 {
        "a benchmarking address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else if ip.is_broadcast() {
        "the broadcast address"
    } else if a == 0 || a >= 240 || (a, b, c) == (192, 0, 0) || (a, b, c) == (192, 88, 99) {
        // "This network", the future-use block, IETF protocol assignments and the deprecated
        // 6to4 relay anycast: none of them is a place a webhook lives.
        "a reserved address"
    } else {
        return None;
    })
}

/// [`restricted_kind`] for IPv6; forms that carry an IPv4 address are judged by that address.
fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    // ::ffff:a.b.c.d reaches the IPv4 host a.b.c.d, so it gets that address's verdict.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_kind(v4);
    }
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address that a gateway will
    // reach; judge that address so 64:ff9b::a00:1 cannot stand in for 10.0.0.1.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_kind(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        if let Some(kind) = v4_kind(embedded_v4(s[1], s[2])) {
            return Some(kind);
        }
    }
    Some(if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        "a private address"
    } else if (s[0] & 0xfe00) == 0xfc00 {
        "a unique-local address"
    } else if (s[0] & 0xffc0) == 0xfe80 {
        "a link-local address"
    } else if (s[0] & 0xffc0) == 0xfec0 {
        "a site-local address"
    } else if (s[0] & 0xff00) == 0xff00 {
        "a multicast address"
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] < 0x1000) {
        "a documentation address"
    } else if s[0] == 0x2001 && s[1] == 2 && s[2] == 0 {
        "a benchmarking address"
    } else if (s[0] == 0x2001 && s[1] < 0x200) || (s[0] & 0xe000) != 0x2000 {
        // IETF protocol assignments (Teredo, ORCHID, ...) and everything outside global
        // unicast 2000::/3 (IPv4-compatible ::a.b.c.d, discard-only 100::/64, ...).
        "a reserved address"
    } else {
        return None;
    })
}

/// An error this module raises inside reqwest (from the resolver); it travels in the error's
/// source chain and is found again by [`describe`](super::describe).
#[derive(Debug)]
pub(super) struct CallError {
    pub(super) reason: String,
    /// Is another attempt worth making? A refused destination stays refused.
    pub(super) retry: bool,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl StdError for CallError {}

/// Resolves names with the system resolver and hands reqwest only the addresses the policy
/// allows. Because reqwest asks it for every new connection (redirects included), a name that
/// resolves to a public address when checked and to a private one later cannot slip through.
#[derive(Debug)]
pub(super) struct PolicyResolver {
    pub(super) policy: Arc<NetPolicy>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| CallError { reason: format!("could not resolve {host}: {e}"), retry: true })?;
            let mut allowed: Vec<SocketAddr> = Vec::new();
            let mut first_refusal = None;
            for addr in resolved {
                match policy.refusal(&host, addr.ip()) {
                    None => allowed.push(addr),
                    Some(reason) => {
                        first_refusal.get_or_insert(reason);
                    }
                }
            }
            if allowed.is_empty() {
                let reason = first_refusal.unwrap_or_else(|| format!("could not resolve {host}: no addresses"));
                tracing::warn!(host = %host, "http step: destination refused by the network policy");
                return Err(Box::new(CallError { reason, retry: false }) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Why a URL cannot be called at all: a scheme other than http(s), no host, or an IP literal
/// the policy refuses (reqwest connects to literals without asking the resolver). Public for
/// the `http_destination` fuzz target (`engine/fuzz`).
pub fn url_refusal(policy: &NetPolicy, url: &Url) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("only http and https URLs can be called, not {}:", url.scheme()));
    }
    let host = url.host_str()?;
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let ip = literal.parse::<IpAddr>().ok()?;
    policy.refusal(literal, ip)
}
