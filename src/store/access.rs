//! Reading applications, access requests and provisioning tasks. They are
//! written through [`Store::commit`](super::Store::commit).

use super::codec::decode;
use super::work::live_access_key;
use super::{Store, StoreError, key};
use crate::clock::Timestamp;
use crate::domain::access::AccessRequest;
use crate::domain::application::Application;
use crate::domain::ids::{AccessId, ApplicationId, ResourceId, SubscriptionId, TaskId, TeamId};
use crate::domain::outbox::Task;

impl Store {
    pub fn application(&self, id: ApplicationId) -> Result<Option<Application>, StoreError> {
        self.application
            .get(id.to_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    /// A team's applications by name.
    pub fn applications_of(&self, team: TeamId) -> Result<Vec<Application>, StoreError> {
        let mut out = Vec::new();
        for k in self.application_by_team.scan_prefix(team.to_bytes()).keys() {
            if let Some(id) = ApplicationId::from_bytes(&k?[16..]) {
                out.extend(self.application(id)?);
            }
        }
        out.sort_by_key(|a: &Application| a.details.name_key());
        Ok(out)
    }

    pub fn access(&self, id: AccessId) -> Result<Option<AccessRequest>, StoreError> {
        self.access
            .get(id.to_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    fn accesses_in(
        &self,
        index: &sled::Tree,
        prefix: [u8; 16],
    ) -> Result<Vec<AccessRequest>, StoreError> {
        let mut out = Vec::new();
        for k in index.scan_prefix(prefix).keys() {
            if let Some(id) = AccessId::from_bytes(&k?[16..]) {
                out.extend(self.access(id)?);
            }
        }
        Ok(out)
    }

    /// An application's access requests, oldest first.
    pub fn accesses_of_app(&self, app: ApplicationId) -> Result<Vec<AccessRequest>, StoreError> {
        self.accesses_in(&self.access_by_app, app.to_bytes())
    }

    pub fn accesses_of_subscription(
        &self,
        sub: SubscriptionId,
    ) -> Result<Vec<AccessRequest>, StoreError> {
        self.accesses_in(&self.access_by_subscription, sub.to_bytes())
    }

    pub fn accesses_of_resource(
        &self,
        resource: ResourceId,
    ) -> Result<Vec<AccessRequest>, StoreError> {
        self.accesses_in(&self.access_by_resource, resource.to_bytes())
    }

    /// Access requests to a provider team's resources, oldest first.
    pub fn accesses_of_provider(&self, provider: TeamId) -> Result<Vec<AccessRequest>, StoreError> {
        self.accesses_in(&self.access_by_provider, provider.to_bytes())
    }

    /// The live (pending or approved) request of `probe`'s application × resource × subscription.
    pub fn live_access(&self, probe: &AccessRequest) -> Result<Option<AccessRequest>, StoreError> {
        match self.access_live.get(live_access_key(probe))? {
            Some(id) => match AccessId::from_bytes(&id) {
                Some(id) => self.access(id),
                None => Err(StoreError::Corrupt("access_live value".to_owned())),
            },
            None => Ok(None),
        }
    }

    pub fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        self.outbox
            .get(id.to_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Tasks due at `now`, earliest first, at most `limit`. Reads only the
    /// due part of the time-ordered index.
    pub fn due_tasks(&self, now: Timestamp, limit: usize) -> Result<Vec<Task>, StoreError> {
        let end = key::<8>(&[&(now.as_millis().max(0) as u64 + 1).to_be_bytes()]);
        let mut out = Vec::new();
        for k in self.outbox_due.range(..end).keys().take(limit) {
            if let Some(id) = TaskId::from_bytes(&k?[8..]) {
                out.extend(self.task(id)?);
            }
        }
        Ok(out)
    }

    fn tasks_in(&self, index: &sled::Tree, provider: TeamId) -> Result<Vec<Task>, StoreError> {
        let mut out = Vec::new();
        for k in index.scan_prefix(provider.to_bytes()).keys() {
            if let Some(id) = TaskId::from_bytes(&k?[16..]) {
                out.extend(self.task(id)?);
            }
        }
        Ok(out)
    }

    /// Tasks handed to a provider's people (manual data planes), oldest first.
    pub fn waiting_tasks(&self, provider: TeamId) -> Result<Vec<Task>, StoreError> {
        self.tasks_in(&self.outbox_waiting, provider)
    }

    /// Tasks given up for a provider's resources, oldest first.
    pub fn failed_tasks(&self, provider: TeamId) -> Result<Vec<Task>, StoreError> {
        self.tasks_in(&self.outbox_failed, provider)
    }

    pub fn task_count(&self) -> usize {
        self.outbox.len()
    }
}
