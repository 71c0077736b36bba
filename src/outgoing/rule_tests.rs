use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn every_closed_range_is_refused() {
    for (addr, why) in [
        ("127.0.0.1", Closed::Loopback),
        ("127.255.255.254", Closed::Loopback),
        ("10.1.2.3", Closed::Private),
        ("172.16.0.1", Closed::Private),
        ("172.31.255.255", Closed::Private),
        ("192.168.1.1", Closed::Private),
        ("169.254.169.254", Closed::LinkLocal),
        ("100.64.0.1", Closed::SharedCgn),
        ("100.127.255.255", Closed::SharedCgn),
        ("0.0.0.0", Closed::Unspecified),
        ("0.1.2.3", Closed::Unspecified),
        ("224.0.0.1", Closed::Multicast),
        ("239.255.255.250", Closed::Multicast),
        ("255.255.255.255", Closed::Broadcast),
        ("240.0.0.1", Closed::Reserved),
        ("192.0.0.8", Closed::Reserved),
        ("192.0.2.1", Closed::Documentation),
        ("198.51.100.7", Closed::Documentation),
        ("203.0.113.9", Closed::Documentation),
        ("198.18.0.1", Closed::Documentation),
        ("::1", Closed::Loopback),
        ("::", Closed::Unspecified),
        ("fd00::1", Closed::Private),
        ("fc00::1", Closed::Private),
        ("fec0::1", Closed::Private),
        ("fe80::1", Closed::LinkLocal),
        ("ff02::1", Closed::Multicast),
        ("2001:db8::1", Closed::Documentation),
        ("3fff::1", Closed::Documentation),
        ("3fff:fff::1", Closed::Documentation),
        ("100::1", Closed::Reserved),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Closed::Tunnel),
        ("64:ff9b:1::a00:1", Closed::Tunnel),
    ] {
        assert_eq!(closed(ip(addr)), Some(why), "{addr}");
    }
}

#[test]
fn ipv6_forms_that_embed_a_closed_ipv4_are_refused() {
    let lo = Ipv4Addr::new(127, 0, 0, 1);
    let ten = Ipv4Addr::new(10, 0, 0, 1);
    for (addr, v4, form) in [
        ("::ffff:127.0.0.1", lo, "IPv4-mapped"),
        ("::ffff:7f00:1", lo, "IPv4-mapped"),
        ("0:0:0:0:0:ffff:127.0.0.1", lo, "IPv4-mapped"),
        ("::ffff:10.0.0.1", ten, "IPv4-mapped"),
        ("::127.0.0.1", lo, "IPv4-compatible"),
        ("::10.0.0.1", ten, "IPv4-compatible"),
        ("::ffff:0:127.0.0.1", lo, "IPv4-translated"),
        ("64:ff9b::127.0.0.1", lo, "NAT64"),
        ("64:ff9b::a00:1", ten, "NAT64"),
        ("2002:7f00:1::", lo, "6to4"),
        ("2002:a00:1:1::1", ten, "6to4"),
        (
            "2002:a9fe:a9fe::",
            Ipv4Addr::new(169, 254, 169, 254),
            "6to4",
        ),
    ] {
        assert_eq!(closed(ip(addr)), Some(Closed::Embeds(v4, form)), "{addr}");
    }
    // The same forms around a public IPv4 address are public; the
    // deprecated IPv4-compatible form is refused whatever it holds.
    for addr in [
        "::ffff:93.184.216.34",
        "64:ff9b::8.8.8.8",
        "2002:5db8:d822::1",
    ] {
        assert_eq!(closed(ip(addr)), None, "{addr}");
    }
    assert_eq!(closed(ip("::8.8.8.8")), Some(Closed::Reserved));
}

#[test]
fn public_addresses_are_open() {
    for addr in [
        "93.184.216.34",
        "8.8.8.8",
        "1.1.1.1",
        "100.63.255.255",
        "100.128.0.1",
        "172.15.255.255",
        "172.32.0.1",
        "192.169.0.1",
        "223.255.255.255",
        "2606:4700::1111",
        "2a00:1450:4001::1",
        "3fff:1000::1",
    ] {
        assert_eq!(closed(ip(addr)), None, "{addr}");
    }
}

/// Every spelling of this machine the URL parser accepts reaches the rule
/// as the address the client would connect to.
#[test]
fn every_spelling_of_this_machine_is_read_as_the_client_reads_it() {
    for host in [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.000.000.001",
        "127.0.0.1.",
        "%31%32%37.0.0.1",
        "0.0.0.0",
        "0",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[0:0:0:0:0:ffff:127.0.0.1]",
        "[::1]",
        "[::]",
        "[::127.0.0.1]",
        "localhost",
        "LOCALHOST.",
        "hooks.localhost",
    ] {
        let url = format!("https://{host}:8443/hook");
        match parse_target(&url, false) {
            Err(TargetError::Closed { .. }) => {}
            other => panic!("{url}: {other:?}"),
        }
        assert!(parse_target(&url, true).is_ok(), "{url} where allowed");
    }
}

#[test]
fn urls_must_be_https_without_credentials() {
    assert!(parse_target("https://hooks.example.com/agora", false).is_ok());
    assert!(parse_target("https://93.184.216.34/x", false).is_ok());
    assert_eq!(
        parse_target("http://hooks.example.com/", false),
        Err(TargetError::PlainHttp)
    );
    assert!(parse_target("http://127.0.0.1:9000/in", true).is_ok());
    assert_eq!(
        parse_target("ftp://hooks.example.com/", true),
        Err(TargetError::NotHttps)
    );
    assert_eq!(
        parse_target("https://user:pw@hooks.example.com/", false),
        Err(TargetError::Userinfo)
    );
    assert!(matches!(
        parse_target("https://", false),
        Err(TargetError::Unreadable(_))
    ));
    let why = parse_target("https://2130706433/", false).unwrap_err();
    assert_eq!(
        why.to_string(),
        "127.0.0.1 is a loopback address (this machine); outgoing calls go only to public addresses"
    );
}
