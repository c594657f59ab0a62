//! smtpd restriction lists (`smtpd_relay_restrictions = a, b, c`) as far as
//! client-certificate relaying cares.

/// The restriction lists smtpd evaluates, in the order of the SMTP dialogue.
pub const LISTS: [&str; 8] = [
    "smtpd_client_restrictions",
    "smtpd_helo_restrictions",
    "smtpd_sender_restrictions",
    "smtpd_relay_restrictions",
    "smtpd_recipient_restrictions",
    "smtpd_data_restrictions",
    "smtpd_end_of_data_restrictions",
    "smtpd_etrn_restrictions",
];

/// The lists smtpd evaluates up to RCPT TO, in that order: where a client
/// certificate decides whether a client may relay.
pub const RCPT_LISTS: [&str; 5] = [
    "smtpd_client_restrictions",
    "smtpd_helo_restrictions",
    "smtpd_sender_restrictions",
    "smtpd_relay_restrictions",
    "smtpd_recipient_restrictions",
];

/// The restriction that admits every certificate the CA file trusts.
pub const PERMIT_ALL: &str = "permit_tls_all_clientcerts";

/// The restriction that lets a client with a listed certificate relay.
pub const PERMIT_CERTS: &str = "permit_tls_clientcerts";

/// The restriction that looks the client certificate up in a table of its own
/// (`check_ccert_access TYPE:NAME`, or with a search order since 3.5:
/// `check_ccert_access { TYPE:NAME, { search_order = … } }`).
pub const CHECK_CCERT: &str = "check_ccert_access";

/// The restriction that lets a SASL-authenticated client relay.
pub const PERMIT_SASL: &str = "permit_sasl_authenticated";

/// Restrictions that refuse relaying (or everything), so that a
/// `permit_tls_clientcerts` after them is never reached for relayed mail.
pub const REFUSING: [&str; 4] = [
    "reject",
    "defer",
    "reject_unauth_destination",
    "defer_unauth_destination",
];

/// Splits a list value into its items: separated by commas or whitespace,
/// `{…}` groups kept whole (`check_ccert_access { hash:x, {…} }` is one item
/// after its name).
pub fn items(value: &str) -> Vec<String> {
    super::tokens::split_braced(value, |c| c == ',' || c.is_ascii_whitespace())
        .into_iter()
        .map(|(_, item)| item)
        .collect()
}

/// The items of a restriction list, each with its index and the argument it
/// takes, if any: a table (`check_*_access`), a policy service, or a DNS
/// list domain (`reject_rbl_client`, `permit_dnswl_client`, …), so that an
/// argument is never read as a restriction of its own.
pub fn with_args(items: &[String]) -> Vec<(usize, &str, Option<&str>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let item = items[i].as_str();
        let takes_arg = item.starts_with("check_") && item.ends_with("_access")
            || item == "check_policy_service"
            || item.starts_with("reject_rbl")
            || item.starts_with("reject_rhsbl")
            || item.starts_with("permit_dnswl")
            || item.starts_with("permit_rhswl");
        if takes_arg && i + 1 < items.len() {
            out.push((i, item, Some(items[i + 1].as_str())));
            i += 2;
        } else {
            out.push((i, item, None));
            i += 1;
        }
    }
    out
}

/// The table a `check_ccert_access` argument names (`{ type:name, {…} }` too).
pub fn access_table(arg: &str) -> String {
    ccert_access_tables(&format!("{CHECK_CCERT} {arg}"))
        .into_iter()
        .next()
        .unwrap_or_else(|| arg.to_string())
}

/// The tables `check_ccert_access` names in a list value, in order.
pub fn ccert_access_tables(value: &str) -> Vec<String> {
    let items = items(value);
    items
        .iter()
        .zip(items.iter().skip(1))
        .filter(|(item, _)| item.as_str() == CHECK_CCERT)
        .filter_map(|(_, arg)| {
            let inner = arg
                .strip_prefix('{')
                .and_then(|a| a.strip_suffix('}'))
                .unwrap_or(arg);
            super::tokens::split_braced(inner, |c| c == ',' || c.is_ascii_whitespace())
                .into_iter()
                .map(|(_, t)| t)
                .next()
                .filter(|t| !t.starts_with('{'))
        })
        .collect()
}

/// Whether an item lets a client with a listed certificate pass:
/// `permit_tls_clientcerts`, or `check_ccert_access` (whose table gives the action).
pub fn permits_certs(items: &[String]) -> bool {
    items.iter().any(|i| i == PERMIT_CERTS || i == CHECK_CCERT)
}

/// Index of the first refusing restriction.
pub fn first_refusing(items: &[String]) -> Option<usize> {
    items.iter().position(|i| REFUSING.contains(&i.as_str()))
}

/// The list with `permit_tls_clientcerts` placed right before the first
/// refusing restriction (or appended when there is none), other items kept.
pub fn with_certs_permitted(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .filter(|i| i.as_str() != PERMIT_CERTS)
        .cloned()
        .collect();
    let at = first_refusing(&out).unwrap_or(out.len());
    out.insert(at, PERMIT_CERTS.to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn splits_items() {
        assert_eq!(
            items("permit_mynetworks permit_sasl_authenticated,\n\tdefer_unauth_destination"),
            v(&[
                "permit_mynetworks",
                "permit_sasl_authenticated",
                "defer_unauth_destination"
            ])
        );
        assert_eq!(
            items("check_ccert_access { hash:/x, { search_order = cert_fingerprint } }, reject"),
            v(&[
                "check_ccert_access",
                "{ hash:/x, { search_order = cert_fingerprint } }",
                "reject"
            ])
        );
    }

    #[test]
    fn finds_ccert_access_tables() {
        assert_eq!(
            ccert_access_tables(
                "permit_mynetworks, check_ccert_access lmdb:/a, check_ccert_access { hash:/b, { search_order = cert_fingerprint } }, reject"
            ),
            v(&["lmdb:/a", "hash:/b"])
        );
        assert!(permits_certs(&items("check_ccert_access hash:/x, reject")));
    }

    #[test]
    fn places_permit_before_refusal() {
        assert_eq!(
            with_certs_permitted(&v(&[
                "permit_mynetworks",
                "permit_sasl_authenticated",
                "reject_unauth_destination",
                "permit_tls_clientcerts"
            ])),
            v(&[
                "permit_mynetworks",
                "permit_sasl_authenticated",
                "permit_tls_clientcerts",
                "reject_unauth_destination"
            ])
        );
        assert_eq!(
            with_certs_permitted(&v(&["permit_sasl_authenticated"])),
            v(&["permit_sasl_authenticated", "permit_tls_clientcerts"])
        );
    }
}
