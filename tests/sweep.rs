mod common;

use std::time::Duration;

use common::*;

#[actix_web::test]
async fn the_sweep_removes_ended_sessions_and_expired_invitations_only() {
    let app = spawn_app_with(&[
        ("AGORA_SECURITY__SESSION_IDLE_TIMEOUT", "1h"),
        ("AGORA_SECURITY__INVITATION_TTL", "2h"),
    ])
    .await;
    let admin = app.admin().await;
    admin.invite("soon@example.com", "Soon", None).await;
    for _ in 0..3 {
        app.browser().login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    }
    assert_eq!(app.state.store.session_count(), 4);

    app.advance(Duration::from_secs(50 * 60));
    admin.get("/").await; // keeps this one session alive
    app.advance(Duration::from_secs(20 * 60));
    let report = agora::scheduler::sweep(&app.state).await.unwrap();
    assert_eq!(
        report,
        agora::scheduler::SweepReport {
            sessions: 3,
            invitations: 0,
            secrets: 0,
            notices: 0,
        }
    );
    assert_eq!(app.state.store.session_count(), 1);
    assert_eq!(
        admin.get("/").await.status(),
        200,
        "the active session survives"
    );

    app.advance(Duration::from_secs(55 * 60));
    admin.get("/").await;
    let report = agora::scheduler::sweep(&app.state).await.unwrap();
    assert_eq!(report.invitations, 1, "the invitation expired after 2h");
}

#[actix_web::test]
async fn a_large_purge_runs_in_batches_and_keeps_secrets_still_in_their_window() {
    use agora::clock::Clock;
    use agora::domain::audit::AuditRecord;
    use agora::domain::credential::secret_aad;
    use agora::domain::ids::{AuditId, CredentialId};
    use agora::store::{Changes, SealedSecret};

    let app = spawn_app().await;
    let now = app.clock.now();
    let later = now.plus(Duration::from_secs(3_600));
    // 2,500 secrets past their window (more than two batches) and 10 still in it.
    let secrets: Vec<SealedSecret> = (0..2_510)
        .map(|i| {
            let credential = CredentialId::generate(now);
            SealedSecret {
                credential,
                version: 1,
                until: if i < 2_500 { now } else { later },
                sealed: app.state.vault.seal(b"secret", &secret_aad(credential, 1)),
            }
        })
        .collect();
    let audit = AuditRecord {
        id: AuditId::generate(now),
        at: now,
        actor: None,
        team: None,
        action: "test".into(),
        detail: String::new(),
        subject: None,
    };
    let changes = Changes {
        secrets: secrets.iter().collect(),
        ..Changes::default()
    };
    app.state.store.commit(&changes, &audit).unwrap();
    assert_eq!(app.state.store.sealed_secret_count(), 2_510);
    let report = agora::scheduler::sweep(&app.state).await.unwrap();
    assert_eq!(report.secrets, 2_500);
    assert_eq!(app.state.store.sealed_secret_count(), 10);
}
