//! `AddressPrefix`: an IPv4 or IPv6 network, as settings name them (`address_limit_exempt`)
//! and admission matches client addresses against them; `AddressKey`: what per-address limits
//! count by.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IPv4 or IPv6 address prefix (`127.0.0.0/8`, `::1/128`, or a plain address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressPrefix {
    address: IpAddr,
    bits: u8,
}

impl AddressPrefix {
    /// The loopback networks, IPv4 and IPv6.
    pub fn loopback() -> Vec<Self> {
        vec![
            Self {
                address: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
                bits: 8,
            },
            Self {
                address: IpAddr::V6(Ipv6Addr::LOCALHOST),
                bits: 128,
            },
        ]
    }

    /// Whether `address` lies in this prefix (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.address, address.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for AddressPrefix {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, bits) = match text.split_once('/') {
            Some((address, bits)) => (address, Some(bits)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or prefix"))?;
        let max_bits = if address.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            None => max_bits,
            Some(bits) => bits
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|bits| *bits <= max_bits)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {max_bits}"))?,
        };
        Ok(Self { address, bits })
    }
}

impl fmt::Display for AddressPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.bits)
    }
}

/// What the per-address limits count by: an IPv4 address, or an IPv6 /64 (one household or
/// site gets a /64 or more, so counting single IPv6 addresses would limit nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKey {
    /// An IPv4 address.
    V4(u32),
    /// The first 64 bits of an IPv6 address.
    V6Net(u64),
}

impl AddressKey {
    /// The key `address` counts under.
    pub fn of(address: IpAddr) -> Self {
        match address.to_canonical() {
            IpAddr::V4(ip) => Self::V4(u32::from(ip)),
            IpAddr::V6(ip) => Self::V6Net((u128::from(ip) >> 64) as u64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn prefixes_parse_and_match() {
        let net: AddressPrefix = "10.1.0.0/16".parse().expect("prefix");
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(
            net.contains(ip("::ffff:10.1.0.9")),
            "IPv4-mapped counts as IPv4"
        );
        let v6: AddressPrefix = "2001:db8::/32".parse().expect("prefix");
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(
            "::1"
                .parse::<AddressPrefix>()
                .expect("plain")
                .contains(ip("::1"))
        );
        assert!("10.0.0.0/33".parse::<AddressPrefix>().is_err());
        assert!("nonsense".parse::<AddressPrefix>().is_err());
        assert_eq!(net.to_string(), "10.1.0.0/16");
        let all: AddressPrefix = "0.0.0.0/0".parse().expect("prefix");
        assert!(all.contains(ip("192.0.2.1")));
    }
}
