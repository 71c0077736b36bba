//! Email over SMTP: a connection per message to the configured server, and the
//! plain-text-plus-HTML messages Agora sends. Messages never hold secrets.

use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{SmtpConfig, SmtpTls};
use crate::domain::delivery::Email;

/// The SMTP transport and the sender. (No connection pool: a pool's
/// connections close from a runtime that may already be gone at shutdown.)
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why a message was not sent, and whether trying again can help.
#[derive(Debug)]
pub struct Refusal {
    pub message: String,
    pub permanent: bool,
    pub status: Option<u16>,
}

impl Mailer {
    pub fn new(c: &SmtpConfig) -> Result<Self, String> {
        let tls = match c.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls => Tls::Required(
                TlsParameters::new(c.host.clone()).map_err(|e| format!("smtp TLS: {e}"))?,
            ),
            SmtpTls::Tls => Tls::Wrapper(
                TlsParameters::new(c.host.clone()).map_err(|e| format!("smtp TLS: {e}"))?,
            ),
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(c.host.as_str())
            .port(c.port)
            .tls(tls)
            .timeout(Some(c.timeout));
        if let (Some(user), Some(pw)) = (&c.user, &c.password) {
            b = b.credentials(Credentials::new(user.clone(), pw.0.clone()));
        }
        let from = c
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("smtp.from: {e}"))?;
        Ok(Self {
            transport: b.build(),
            from,
        })
    }

    /// Sends one email: plain text and simple HTML with the same words.
    pub async fn send(&self, id: &str, mail: &Email, base: &str) -> Result<(), Refusal> {
        let to = mail.to.parse::<Mailbox>().map_err(|e| Refusal {
            message: format!("the address {} cannot be used: {e}", mail.to),
            permanent: true,
            status: None,
        })?;
        let (text, html) = bodies(mail, base);
        let domain = self.from.email.domain().to_owned();
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{id}@{domain}>")))
            .header(header::ContentTransferEncoding::QuotedPrintable)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| Refusal {
                message: format!("the email could not be built: {e}"),
                permanent: true,
                status: None,
            })?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| Refusal {
                permanent: e.is_permanent(),
                status: e.status().map(u16::from),
                message: format!("SMTP: {e}"),
            })
    }
}

/// The plain text and the HTML of an email.
fn bodies(mail: &Email, base: &str) -> (String, String) {
    let link = mail.link.as_ref().map(|l| format!("{base}{l}"));
    let text = match &link {
        Some(l) => format!(
            "{}\n\nOpen it in Agora: {l}\n\nYou get this email because you chose it in your account: {base}/account\n",
            mail.text
        ),
        None => format!("{}\n", mail.text),
    };
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let html = match &link {
        Some(l) => format!(
            "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p><p><a href=\"{}\">Open it in Agora</a></p><p style=\"color:#666;font-size:90%\">You get this email because you chose it in <a href=\"{}/account\">your account</a>.</p></body></html>",
            esc(&mail.text),
            esc(l),
            esc(base)
        ),
        None => format!(
            "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p></body></html>",
            esc(&mail.text)
        ),
    };
    (text, html)
}
