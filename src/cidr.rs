//! IP networks for YOOKASSA_TRUSTED_IPS and TRUSTED_PROXIES, and which addresses are public.

use std::fmt;
use std::net::IpAddr;

/// An IPv4 or IPv6 network, `185.71.76.0/27` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?} has a bad prefix length (0–{max})"))?,
        };
        Ok(Cidr { addr, prefix })
    }

    /// Whether `ip` lies in this network. IPv4-mapped IPv6 peers (`::ffff:1.2.3.4`, as a dual-stack
    /// socket reports them) are compared as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Networks that are not the public Internet: this host, private and shared ranges, link-local,
/// documentation, benchmarking, multicast and reserved space, and IPv6's equivalents. A URL a
/// provider hands us must not lead into them (SSRF).
const NOT_PUBLIC: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/3",
    "::/127",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
];

/// Whether `ip` is a public Internet address. IPv4-mapped and NAT64 (`64:ff9b::/96`) addresses
/// are judged by the IPv4 address inside them.
pub fn is_public(ip: IpAddr) -> bool {
    let ip = match ip.to_canonical() {
        IpAddr::V6(v6) if v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] => {
            let [.., a, b, c, d] = v6.octets();
            IpAddr::from([a, b, c, d])
        }
        other => other,
    };
    !NOT_PUBLIC
        .iter()
        .filter_map(|net| Cidr::parse(net).ok())
        .any(|net| net.contains(ip))
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_networks() {
        let net = Cidr::parse("185.71.76.0/27").expect("valid");
        assert!(net.contains("185.71.76.31".parse().expect("ip")));
        assert!(!net.contains("185.71.76.32".parse().expect("ip")));
        assert!(net.contains("::ffff:185.71.76.1".parse().expect("ip")));
        let one = Cidr::parse("77.75.156.11").expect("valid");
        assert!(one.contains("77.75.156.11".parse().expect("ip")));
        assert!(!one.contains("77.75.156.12".parse().expect("ip")));
        let v6 = Cidr::parse("2a02:5180::/32").expect("valid");
        assert!(v6.contains("2a02:5180:1::5".parse().expect("ip")));
        assert!(!v6.contains("2a02:5181::1".parse().expect("ip")));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .expect("valid")
                .contains("8.8.8.8".parse().expect("ip"))
        );
        for bad in ["", "1.2.3.4/33", "example.com", "1.2.3/24", "::/129"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn public_addresses() {
        for net in NOT_PUBLIC {
            assert!(Cidr::parse(net).is_ok(), "{net}");
        }
        let public = |s: &str| is_public(s.parse().expect("ip"));
        for ip in [
            "8.8.8.8",
            "185.71.76.10",
            "2a02:6b8::2:242",
            "64:ff9b::808:808",
        ] {
            assert!(public(ip), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "fd00::1",
            "fe80::1",
            "2001:db8::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
    }
}
