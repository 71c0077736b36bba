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
    let report = agora::scheduler::sweep(&app.state).unwrap();
    assert_eq!(
        report,
        agora::scheduler::SweepReport {
            sessions: 3,
            invitations: 0,
            secrets: 0,
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
    let report = agora::scheduler::sweep(&app.state).unwrap();
    assert_eq!(report.invitations, 1, "the invitation expired after 2h");
}
