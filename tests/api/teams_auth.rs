//! `POST /teams/messages` authenticates every activity before anything else, against the
//! offline Bot Framework token authority (`partnerbot::teams::emulator`): a valid token is
//! accepted once per activity id; every way a token can be wrong is refused (401, or 403 for a
//! tenant the program does not serve) and leaves nothing behind; keys are cached, refreshed on
//! an unknown `kid` at most once a minute, and kept when the metadata endpoint is down.

use crate::helpers::*;
use crate::on_both_databases;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use partnerbot::store::CountTable;
use partnerbot::teams::emulator::{claims, TestKey, TokenAuthority};
use partnerbot::teams::{Authenticator, TeamsSettings};
use std::sync::Arc;
use tower::ServiceExt;

pub(crate) const APP_ID: &str = "6f1c2b7e-8a4d-4c1e-9f3a-2b5d7e9c1a20";
pub(crate) const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const PARTNER_TENANT: &str = "0d4e1f2a-3b5c-4d6e-8f7a-9b0c1d2e3f4a";
const SERVICE_URL: &str = "https://smba.trafficmanager.net/amer/";

/// The app with Teams on, and the token authority it trusts (shared with other Teams tests).
pub(crate) struct Teams {
    pub(crate) app: TestApp,
    pub(crate) authority: TokenAuthority,
    router: axum::Router,
}

impl Teams {
    pub(crate) async fn spawn(db: Db) -> Teams {
        let app =
            TestApp::spawn_with_clock(db, partnerbot::clock::Clock::fixed(chrono::Utc::now()))
                .await;
        let authority = TokenAuthority::start().await.expect("authority");
        let metadata = authority.metadata_url();
        let settings = TeamsSettings::from_lookup(&|k| match k {
            "MICROSOFT_APP_ID" => Some(APP_ID.into()),
            "MICROSOFT_APP_PASSWORD" => Some("test-secret".into()),
            "MICROSOFT_APP_TENANT_ID" => Some(TENANT.into()),
            "TEAMS_OPENID_METADATA_URL" => Some(metadata.clone()),
            _ => None,
        })
        .expect("settings")
        .expect("Teams on");
        let connector =
            partnerbot::teams::connector::Connector::new(settings.clone()).expect("connector");
        let auth = Authenticator::new(settings, app.app.clock.clone(), [PARTNER_TENANT.into()])
            .expect("authenticator");
        let router = app.app.clone().with_teams(Arc::new(auth), connector).router;
        Teams {
            app,
            authority,
            router,
        }
    }

    pub(crate) fn now(&self) -> i64 {
        self.app.app.clock.now().timestamp()
    }

    fn token(&self) -> String {
        self.authority
            .token(APP_ID, SERVICE_URL, self.now())
            .expect("token")
    }

    pub(crate) async fn post(
        &self,
        authorization: Option<String>,
        activity: &serde_json::Value,
    ) -> StatusCode {
        post_activity(&self.router, authorization, activity).await
    }

    async fn events(&self) -> i64 {
        self.app
            .store
            .count(CountTable::Events)
            .await
            .expect("count")
    }
}

/// A real Teams message activity (`tests/data/teams/teams_message.json`) with `id`, `tenant`
/// and `channel`.
fn activity(id: &str, tenant: &str, channel: &str) -> serde_json::Value {
    let mut a: serde_json::Value =
        serde_json::from_str(include_str!("../data/teams/teams_message.json")).expect("fixture");
    a["id"] = id.into();
    a["channelId"] = channel.into();
    a["channelData"]["tenant"]["id"] = tenant.into();
    a
}

/// Posts `activity` to `router`'s `POST /teams/messages` with `authorization`, if any.
pub(crate) async fn post_activity(
    router: &axum::Router,
    authorization: Option<String>,
    activity: &serde_json::Value,
) -> StatusCode {
    let mut request = Request::post("/teams/messages").header("content-type", "application/json");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let request = request
        .body(Body::from(activity.to_string()))
        .expect("request");
    router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers")
        .status()
}

pub(crate) fn bearer(token: &str) -> Option<String> {
    Some(format!("Bearer {token}"))
}

async fn a_valid_token_is_accepted_once_per_activity(db: Db) {
    let t = Teams::spawn(db).await;
    let a = activity("1485983408511", TENANT, "msteams");
    assert_eq!(t.post(bearer(&t.token()), &a).await, StatusCode::OK);
    assert_eq!(t.events().await, 1);
    // Teams retries: the same activity is acknowledged and not handled again.
    assert_eq!(t.post(bearer(&t.token()), &a).await, StatusCode::OK);
    assert_eq!(t.events().await, 1);
    // A partner's tenant named by the program is served too.
    let p = activity("1485983408512", PARTNER_TENANT, "msteams");
    assert_eq!(t.post(bearer(&t.token()), &p).await, StatusCode::OK);
    assert_eq!(t.events().await, 2);
    assert_eq!(t.authority.key_fetches(), 1, "keys are cached");
}
on_both_databases!(a_valid_token_is_accepted_once_per_activity);

async fn every_bad_token_is_refused_and_leaves_nothing_behind(db: Db) {
    let t = Teams::spawn(db).await;
    let now = t.now();
    let a = activity("1485983408599", TENANT, "msteams");
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut c = claims(APP_ID, SERVICE_URL, now);
        f(&mut c);
        t.authority.mint(TestKey::First, &c).expect("mint")
    };
    let hs256_with_public_key = {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(TestKey::First.kid().into());
        let key = jsonwebtoken::EncodingKey::from_secret(
            TokenAuthority::public_key_text(TestKey::First).as_bytes(),
        );
        jsonwebtoken::encode(&header, &claims(APP_ID, SERVICE_URL, now), &key).expect("hs256")
    };
    let alg_none = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT","kid":"pb-emulator-first"}"#);
        let body = b64.encode(claims(APP_ID, SERVICE_URL, now).to_string());
        format!("{header}.{body}.")
    };
    let token = t.token();
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no Authorization header", None),
        ("wrong scheme", Some(format!("Basic {token}"))),
        ("no token", Some("Bearer ".into())),
        ("garbage", bearer("not.a.jwt")),
        ("alg none", bearer(&alg_none)),
        (
            "HS256 signed with the public key",
            bearer(&hs256_with_public_key),
        ),
        (
            "wrong issuer",
            bearer(&with(&|c| {
                c["iss"] = "https://sts.windows.net/evil/".into()
            })),
        ),
        (
            "wrong audience",
            bearer(&with(&|c| c["aud"] = "someone-else".into())),
        ),
        (
            "expired beyond the skew",
            bearer(&with(&|c| c["exp"] = (now - 301).into())),
        ),
        (
            "not valid yet",
            bearer(&with(&|c| c["nbf"] = (now + 400).into())),
        ),
        (
            "another service URL",
            bearer(&with(&|c| {
                c["serviceurl"] = "https://smba.trafficmanager.net/emea/".into()
            })),
        ),
        (
            "no service URL claim",
            bearer(&with(&|c| {
                if let Some(o) = c.as_object_mut() {
                    o.remove("serviceurl");
                }
            })),
        ),
        (
            "signature of another key under this kid",
            bearer(&{
                let good = t
                    .authority
                    .mint(TestKey::Second, &claims(APP_ID, SERVICE_URL, now))
                    .expect("mint");
                let parts: Vec<&str> = good.split('.').collect();
                let first = token.split('.').next().unwrap_or_default().to_string();
                format!("{first}.{}.{}", parts[1], parts[2])
            }),
        ),
    ];
    for (what, authorization) in cases {
        assert_eq!(
            t.post(authorization, &a).await,
            StatusCode::UNAUTHORIZED,
            "{what}"
        );
    }
    // A service URL that is not a Teams host, even in a correctly signed token.
    let mut elsewhere = a.clone();
    elsewhere["serviceUrl"] = "https://attacker.example.com/".into();
    let forged = t
        .authority
        .token(APP_ID, "https://attacker.example.com/", now)
        .expect("token");
    assert_eq!(
        t.post(bearer(&forged), &elsewhere).await,
        StatusCode::UNAUTHORIZED
    );
    // The key does not endorse the activity's channel.
    let skype = activity("1485983408598", TENANT, "skype");
    assert_eq!(
        t.post(bearer(&token), &skype).await,
        StatusCode::UNAUTHORIZED
    );
    // A tenant the program does not serve: 403.
    let stranger = activity(
        "1485983408597",
        "11111111-2222-3333-4444-555555555555",
        "msteams",
    );
    assert_eq!(
        t.post(bearer(&token), &stranger).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.events().await,
        0,
        "a refused activity leaves nothing behind"
    );
    // Within the 5-minute skew an expired token is still accepted, and the activity the refused
    // requests carried is handled for the first time.
    let late = with(&|c| c["exp"] = (now - 200).into());
    assert_eq!(t.post(bearer(&late), &a).await, StatusCode::OK);
    assert_eq!(t.events().await, 1);
}
on_both_databases!(every_bad_token_is_refused_and_leaves_nothing_behind);

async fn keys_are_refreshed_on_an_unknown_kid_at_most_once_a_minute_and_kept_when_the_metadata_is_down(
    db: Db,
) {
    let t = Teams::spawn(db).await;
    let now = t.now();
    let a = |id: &str| activity(id, TENANT, "msteams");
    assert_eq!(t.post(bearer(&t.token()), &a("1")).await, StatusCode::OK);
    assert_eq!(t.authority.key_fetches(), 1);
    // Signed with a key not published yet: one refresh, then refused.
    let rotated = t
        .authority
        .mint(TestKey::Second, &claims(APP_ID, SERVICE_URL, now))
        .expect("mint");
    assert_eq!(
        t.post(bearer(&rotated), &a("2")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(t.authority.key_fetches(), 2);
    // Within the minute, another unknown kid does not fetch again.
    assert_eq!(
        t.post(bearer(&rotated), &a("3")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(t.authority.key_fetches(), 2);
    // Microsoft rotates; a minute later the new key is fetched and accepted.
    t.authority.rotate();
    t.app.app.clock.advance(chrono::Duration::seconds(61));
    let rotated = t
        .authority
        .mint(TestKey::Second, &claims(APP_ID, SERVICE_URL, t.now()))
        .expect("mint");
    assert_eq!(t.post(bearer(&rotated), &a("4")).await, StatusCode::OK);
    assert_eq!(t.authority.key_fetches(), 3);
    // The metadata endpoint goes down: the cached keys still verify, even a day later when a
    // refresh is due and fails.
    t.authority.set_down(true);
    t.app.app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(t.post(bearer(&t.token()), &a("5")).await, StatusCode::OK);
    assert_eq!(t.post(bearer(&t.token()), &a("6")).await, StatusCode::OK);
    assert_eq!(t.events().await, 4);
}
on_both_databases!(
    keys_are_refreshed_on_an_unknown_kid_at_most_once_a_minute_and_kept_when_the_metadata_is_down
);

async fn a_key_that_endorses_other_channels_only_is_refused_and_one_without_endorsements_is_not(
    db: Db,
) {
    let t = Teams::spawn(db).await;
    t.authority.set_endorsements(TestKey::First, &["webchat"]);
    let a = activity("10", TENANT, "msteams");
    assert_eq!(
        t.post(bearer(&t.token()), &a).await,
        StatusCode::UNAUTHORIZED
    );
    // Microsoft's SDK checks endorsements only when a key lists any.
    t.authority.set_endorsements(TestKey::First, &[]);
    t.app.app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(t.post(bearer(&t.token()), &a).await, StatusCode::OK);
}
on_both_databases!(
    a_key_that_endorses_other_channels_only_is_refused_and_one_without_endorsements_is_not
);

#[tokio::test]
async fn without_teams_settings_the_route_is_not_there() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let request = Request::post("/teams/messages")
        .body(Body::from("{}"))
        .expect("request");
    let status = t
        .app
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("answer")
        .status();
    assert_eq!(status, StatusCode::NOT_FOUND);
}
