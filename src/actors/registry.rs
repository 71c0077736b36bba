//! Starts one [`TeamActor`] per team on first use, on a dedicated arbiter
//! thread so blocking sled calls never stall the HTTP workers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix::dev::ToEnvelope;
use actix::{Actor, Addr, ArbiterHandle, Handler, MailboxError, Message};

use super::team::{TeamActor, TeamContext};
use crate::domain::ids::TeamId;

#[derive(Clone)]
pub struct TeamRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    arbiter: ArbiterHandle,
    actors: Mutex<HashMap<TeamId, Addr<TeamActor>>>,
    cx: TeamContext,
}

impl TeamRegistry {
    pub fn new(arbiter: ArbiterHandle, cx: TeamContext) -> Self {
        Self {
            inner: Arc::new(Inner {
                arbiter,
                actors: Mutex::new(HashMap::new()),
                cx,
            }),
        }
    }

    fn addr(&self, team: TeamId) -> Addr<TeamActor> {
        // The lock only guards the map; a poisoned map is still a valid map.
        let mut actors = self.inner.actors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(addr) = actors.get(&team).filter(|a| a.connected()) {
            return addr.clone();
        }
        let cx = self.inner.cx.clone();
        let addr =
            TeamActor::start_in_arbiter(&self.inner.arbiter, move |_| TeamActor::new(team, cx));
        actors.insert(team, addr.clone());
        addr
    }

    /// Sends a command to the team's actor. If the actor stopped for idleness
    /// between lookup and delivery, a fresh one is started and the command sent once more.
    pub async fn send<M>(&self, team: TeamId, msg: M) -> Result<M::Result, MailboxError>
    where
        M: Message + Clone + Send + 'static,
        M::Result: Send,
        TeamActor: Handler<M>,
        <TeamActor as Actor>::Context: ToEnvelope<TeamActor, M>,
    {
        match self.addr(team).send(msg.clone()).await {
            Err(MailboxError::Closed) => self.addr(team).send(msg).await,
            other => other,
        }
    }

    pub fn running(&self) -> usize {
        let actors = self.inner.actors.lock().unwrap_or_else(|p| p.into_inner());
        actors.values().filter(|a| a.connected()).count()
    }
}
