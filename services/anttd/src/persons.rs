//! Persons and their personal data: the person RPCs of `antt.v1.Forces`.
//!
//! Personal data is sealed here, at the edge: the domain and the log only ever see the
//! ciphertext and the key id. Each person has a key of their own in the
//! [`KeyStore`], with the person's stream id as its subject; destroying that key
//! (crypto-shredding) erases every version of their data without touching the log.
//!
//! Order of effects, chosen so that a crash at any point leaves nothing readable that
//! should not be:
//! - RegisterPerson: the key is created (durable) *before* the event that references it
//!   is appended, so no event ever names a key that was never stored.
//! - ForgetPerson: the key is destroyed *before* PersonErased is appended, so the data is
//!   unreadable from the moment the erasure is recorded (and already a little before). A
//!   crash in between leaves the key destroyed and the event missing; the next
//!   ForgetPerson (the client's retry, or any other) records it.
//! - Whenever the log says a person was erased, their data is never opened again, even
//!   if a key for them reappears (say, a key directory restored from a backup): the key
//!   is destroyed again on sight.
//!
//! Retries: the request digest stored in the log leaves the personal data out, so that
//! no fingerprint of it outlives an erasure (a hash of a name, birth date and citizen id
//! can be confirmed by guessing). A retry is recognised by its request id; its personal
//! data is compared with the recorded record by decrypting the latter.
//!
//! Key store calls do blocking file I/O with fsync: they run on the blocking pool.
//! Plaintext is never logged; the generated messages derive `Debug`, so no
//! `PersonalData` is ever formatted with `{:?}` here.

use antt_access::Principal;

use crate::access;
use std::collections::BTreeMap;
use std::sync::Arc;

use antt_domain::person::{self, Person, SealedPersonalData};
use antt_domain::{Date, DomainError};
use antt_keystore::{KeyStatus, KeyStore, KeyStoreError, Opened, SealedData};
use antt_log::{EventLog, Timestamp};
use antt_proto::v1 as pb;
use prost::Message;
use tonic::Status;
use uuid::Uuid;

use crate::commands::{self, CommandHeader, Commands};
use crate::forces::{self, Checks};
use crate::status;
use crate::views::{self, person::Contents};

/// Stream id prefix of person records.
pub const PERSON_STREAM_PREFIX: &str = "person-";
/// The RPC recorded as having shown a person's data by [`Persons::get`].
const GET_PERSON_RPC: &str = "antt.v1.Forces/GetPerson";
/// Bounds of the personal data fields, in characters after NFC normalisation.
const FULL_NAME_CHARS_MAX: usize = 200;
const ADDRESS_CHARS_MAX: usize = 500;
const LABEL_CHARS_MAX: usize = 100;
/// Digits in a phone number, with the country code.
const PHONE_DIGITS_MIN: usize = 8;
const PHONE_DIGITS_MAX: usize = 15;
const PHONE_CHARS_MAX: usize = 24;
/// Nobody alive was born earlier; an earlier year is a typing mistake.
const BIRTH_YEAR_MIN: i32 = 1900;

/// The stream (and key store subject) of a person.
pub fn person_stream(person_id: Uuid) -> String {
    format!("{PERSON_STREAM_PREFIX}{person_id}")
}

/// A person's name as a team view shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameLookup {
    /// Empty when erased or unreadable.
    pub display_name: String,
    pub erased: bool,
}

/// The person RPCs over a log and a key store.
pub struct Persons<L> {
    commands: Commands<L>,
    keys: Arc<KeyStore>,
}

impl<L> Clone for Persons<L> {
    fn clone(&self) -> Self {
        Persons {
            commands: self.commands.clone(),
            keys: self.keys.clone(),
        }
    }
}

impl<L: EventLog> Persons<L> {
    pub fn new(commands: Commands<L>, keys: Arc<KeyStore>) -> Self {
        Persons { commands, keys }
    }

    /// RegisterPerson: creates the key, seals, records PersonRegistered.
    pub async fn register(
        &self,
        actor: &Principal,
        request: pb::RegisterPersonRequest,
    ) -> Result<pb::CommandResult, Status> {
        let (header, person_id, data) = read_person_request(
            request.header.as_ref(),
            &request.person_id,
            request.personal_data.as_ref(),
        )?;
        let stream_id = person_stream(person_id);
        let digest = digest_without_personal_data("RegisterPerson", request);
        let probe = person::Command::Register {
            person_id,
            sealed: placeholder_sealed(),
            effective_date: header.effective_date,
        };
        if self.commands.already_recorded(header.request_id).await? {
            return self.retried(&stream_id, &header, actor, digest, &data).await;
        }
        let loaded = self.commands.load::<Person>(&stream_id).await?;
        if let Some(erasure) = &loaded.state().erased {
            return Err(status::domain_error(&DomainError::PersonalDataErased {
                erased_on: erasure.on,
            }));
        }
        if loaded.state().registered_on.is_none() {
            // Refuse before creating a key that no event would ever reference.
            commands::ensure_expected_version(&stream_id, header.expected_version, loaded.version)?;
            let context = commands::context(actor);
            loaded
                .timeline
                .decide(probe, &context)
                .map_err(|e| status::domain_error(&e))?;
        }
        let plaintext = data.encode_to_vec();
        let subject = stream_id.clone();
        // `create_key` returns the existing key of a registered person (a concurrent retry
        // of this request, or another registration that `decide` will refuse): never a
        // second key.
        let sealed = self
            .with_keys(move |keys| {
                keys.create_key(&subject)?;
                keys.seal(&subject, &plaintext)
            })
            .await?
            .map_err(|error| key_error(&error, &loaded.state()))?;
        let command = |sealed| person::Command::Register {
            person_id,
            sealed,
            effective_date: header.effective_date,
        };
        let record = Sealed {
            stream_id: &stream_id,
            header: &header,
            data: &data,
            sealed,
        };
        self.record_sealed(actor, digest, record, command).await
    }

    /// CorrectPersonDetails: seals the corrected record under the person's key and
    /// records PersonDetailsUpdated.
    pub async fn correct(
        &self,
        actor: &Principal,
        request: pb::CorrectPersonDetailsRequest,
    ) -> Result<pb::CommandResult, Status> {
        let (header, person_id, data) = read_person_request(
            request.header.as_ref(),
            &request.person_id,
            request.personal_data.as_ref(),
        )?;
        let stream_id = person_stream(person_id);
        let digest = digest_without_personal_data("CorrectPersonDetails", request);
        let probe = person::Command::UpdateDetails {
            sealed: placeholder_sealed(),
            effective_date: header.effective_date,
        };
        if self.commands.already_recorded(header.request_id).await? {
            return self.retried(&stream_id, &header, actor, digest, &data).await;
        }
        let loaded = self.commands.load::<Person>(&stream_id).await?;
        let context = commands::context(actor);
        loaded
            .timeline
            .decide(probe, &context)
            .map_err(|e| status::domain_error(&e))?;
        let plaintext = data.encode_to_vec();
        let subject = stream_id.clone();
        // `seal`, never `create_key`: a registered person whose key is missing has lost
        // it (a wrong or lost key directory), which a new key would only hide.
        let sealed = self
            .with_keys(move |keys| keys.seal(&subject, &plaintext))
            .await?
            .map_err(|error| key_error(&error, &loaded.state()))?;
        let command = |sealed| person::Command::UpdateDetails {
            sealed,
            effective_date: header.effective_date,
        };
        let record = Sealed {
            stream_id: &stream_id,
            header: &header,
            data: &data,
            sealed,
        };
        self.record_sealed(actor, digest, record, command).await
    }

    /// Records the command `command` builds around freshly sealed personal data. A
    /// concurrent retry may have recorded the request first: then its data must be the
    /// same.
    async fn record_sealed(
        &self,
        actor: &Principal,
        digest: [u8; 32],
        record: Sealed<'_>,
        command: impl FnOnce(SealedPersonalData) -> person::Command,
    ) -> Result<pb::CommandResult, Status> {
        let Sealed {
            stream_id,
            header,
            data,
            sealed,
        } = record;
        let command = command(SealedPersonalData {
            key_id: key_id_text(&sealed),
            ciphertext: sealed.to_bytes(),
        });
        let result = self
            .commands
            .execute::<Person>(stream_id, header, actor, digest, command)
            .await?;
        if result.deduplicated {
            self.ensure_same_data(stream_id, header, data).await?;
        }
        Ok(result)
    }

    /// GetPerson: the record in effect on the day asked for, decrypted, or the erasure.
    pub async fn get(&self, reader: &Principal, request: pb::GetPersonRequest) -> Result<pb::PersonView, Status> {
        let mut checks = Checks::default();
        let person_id = checks.id("person_id", &request.person_id);
        let as_of = checks.as_of(request.as_of.as_ref());
        let Some(person_id) = person_id else {
            return Err(checks.into_status());
        };
        checks.finish()?;
        let stream_id = person_stream(person_id);
        let loaded = self.commands.load::<Person>(&stream_id).await?;
        let unregistered = || {
            status::not_found(format!(
                "no person is registered with id {person_id} (chưa có trong hồ sơ); check the id"
            ))
        };
        let version = loaded.version.ok_or_else(unregistered)?;
        let on_the_day = views::state_as_of(&loaded.timeline, &format!("person {person_id}"), as_of)?;
        let registered_on = on_the_day.registered_on.ok_or_else(unregistered)?;
        // The details in effect that day, unless erased since: an erasure destroys every
        // version of them, so it shows whatever the day asked for.
        let erasure = loaded.state().erased;
        let record = person::State {
            erased: erasure.clone(),
            ..on_the_day
        };
        let contents = self.open_for_view(stream_id, record).await?;
        if let Contents::Data(_) = contents {
            access::reads::record(&**self.commands.log(), reader, GET_PERSON_RPC, &[person_id.to_string()]).await?;
        }
        Ok(views::person::view(
            person_id,
            registered_on,
            erasure.as_ref(),
            contents,
            version,
        ))
    }

    /// Opens one person's sealed record for a view.
    async fn open_for_view(&self, stream_id: String, record: person::State) -> Result<Contents, Status> {
        let found = self.open_all(vec![(stream_id, record)]).await?;
        match found.into_iter().next().map(|(_, found)| found) {
            Some(Found::Data(data)) => Ok(Contents::Data(data)),
            Some(Found::Erased { at }) => Ok(Contents::Erased { at }),
            Some(Found::Unreadable(error)) => Err(key_error(&error, &person::State::default())),
            None => Err(status::record_not_opened()),
        }
    }

    /// ForgetPerson: destroys the key, then records PersonErased.
    pub async fn forget(
        &self,
        actor: &Principal,
        request: pb::ForgetPersonRequest,
    ) -> Result<pb::CommandResult, Status> {
        let mut checks = Checks::default();
        let header = checks.header(request.header.as_ref());
        let person_id = checks.id("person_id", &request.person_id);
        let (Some(header), Some(person_id)) = (header, person_id) else {
            return Err(checks.into_status());
        };
        checks.finish()?;
        let stream_id = person_stream(person_id);
        let digest = forces::digest("ForgetPerson", &request);
        let command = person::Command::Forget {
            reason: request.reason.clone(),
            effective_date: header.effective_date,
        };
        // A retry of a recorded erasure: its key is long gone; `execute` answers with the
        // original result (or ALREADY_EXISTS for another command under the same id).
        if !self.commands.already_recorded(header.request_id).await? {
            let loaded = self.commands.load::<Person>(&stream_id).await?;
            // Everything that could refuse the event is checked before the key is
            // destroyed: an erasure must not happen without being recorded.
            let context = commands::context(actor);
            loaded
                .timeline
                .decide(command.clone(), &context)
                .map_err(|e| status::domain_error(&e))?;
            let subject = stream_id.clone();
            let now = Timestamp::now().as_micros();
            let outcome = self
                .with_keys(move |keys| keys.forget(&subject, now))
                .await?
                .map_err(|error| key_error(&error, &loaded.state()))?;
            tracing::info!(
                stream_id,
                ?outcome,
                "personal-data key destroyed; recording the erasure"
            );
        }
        self.commands
            .execute::<Person>(&stream_id, &header, actor, digest, command)
            .await
    }

    /// Refuses a person who cannot join a team: not registered, or erased.
    pub async fn ensure_can_serve(&self, field: &str, person_id: Uuid) -> Result<(), Status> {
        let loaded = self.commands.load::<Person>(&person_stream(person_id)).await?;
        if loaded.state().registered_on.is_none() {
            return Err(status::precondition(
                field,
                format!(
                    "person {person_id} is not registered (chưa có trong hồ sơ); \
                     register them with RegisterPerson first, or check the id"
                ),
            ));
        }
        if let Some(erasure) = &loaded.state().erased {
            return Err(status::precondition(
                field,
                format!(
                    "the personal data of person {person_id} was erased on {} (đã xoá dữ liệu cá nhân); \
                     someone whose data was erased cannot be nominated or appointed: register them \
                     again under a new person id",
                    erasure.on
                ),
            ));
        }
        Ok(())
    }

    /// The display names of `person_ids`, for a team view. A person without a record, or
    /// whose record cannot be opened, shows an empty name; the store being unreachable
    /// fails the whole view.
    pub async fn display_names(
        &self,
        reader: &Principal,
        rpc: &str,
        person_ids: &[String],
    ) -> Result<BTreeMap<String, NameLookup>, Status> {
        let mut records = Vec::with_capacity(person_ids.len());
        let mut names = BTreeMap::new();
        for person_id in person_ids {
            let Ok(id) = Uuid::parse_str(person_id) else {
                names.insert(person_id.clone(), NameLookup::default());
                continue;
            };
            let loaded = self.commands.load::<Person>(&person_stream(id)).await?;
            if loaded.state().registered_on.is_none() {
                names.insert(person_id.clone(), NameLookup::default());
            } else {
                records.push((person_id.clone(), id, loaded.state()));
            }
        }
        // `open_all` answers in the order it is asked.
        let (opened, subjects): (Vec<String>, Vec<(String, person::State)>) = records
            .into_iter()
            .map(|(person_id, id, state)| (person_id, (person_stream(id), state)))
            .unzip();
        for (person_id, (stream_id, found)) in opened.into_iter().zip(self.open_all(subjects).await?) {
            let lookup = match found {
                Found::Data(data) => NameLookup {
                    display_name: data.full_name,
                    erased: false,
                },
                Found::Erased { .. } => NameLookup {
                    display_name: String::new(),
                    erased: true,
                },
                Found::Unreadable(KeyStoreError::Io { .. }) => {
                    return Err(status::key_store_unavailable());
                }
                Found::Unreadable(error) => {
                    tracing::error!(%stream_id, %error, "a person's record cannot be opened; showing no name");
                    NameLookup::default()
                }
            };
            names.insert(person_id, lookup);
        }
        let shown: Vec<String> = names
            .iter()
            .filter(|(_, lookup)| !lookup.display_name.is_empty())
            .map(|(person_id, _)| person_id.clone())
            .collect();
        access::reads::record(&**self.commands.log(), reader, rpc, &shown).await?;
        Ok(names)
    }

    /// Opens the latest record of each `(stream id, state)` in one trip to the blocking
    /// pool. A person the log says is erased is never opened: if a key for them is
    /// live again, it is destroyed again.
    async fn open_all(&self, records: Vec<(String, person::State)>) -> Result<Vec<(String, Found)>, Status> {
        self.with_keys(move |keys| {
            Ok(records
                .into_iter()
                .map(|(stream_id, state)| {
                    let found = open_one(keys, &stream_id, &state);
                    (stream_id, found)
                })
                .collect())
        })
        .await?
        .map_err(|error: KeyStoreError| key_error(&error, &person::State::default()))
    }

    /// A retry of a recorded request: answered from the log with no key or sealing work.
    /// `execute` answers a recorded request id before deciding; the command it is given
    /// is one `decide` always refuses (no sealed data), so that even if that changed,
    /// nothing could be recorded from it.
    async fn retried(
        &self,
        stream_id: &str,
        header: &CommandHeader,
        actor: &Principal,
        digest: [u8; 32],
        data: &pb::PersonalData,
    ) -> Result<pb::CommandResult, Status> {
        let never_recorded = person::Command::UpdateDetails {
            sealed: SealedPersonalData {
                ciphertext: Vec::new(),
                key_id: String::new(),
            },
            effective_date: header.effective_date,
        };
        let result = self
            .commands
            .execute::<Person>(stream_id, header, actor, digest, never_recorded)
            .await?;
        self.ensure_same_data(stream_id, header, data).await?;
        Ok(result)
    }

    /// After a retry was answered from the log: refuses it if it carried other personal
    /// data than the recorded request (same request id, different command).
    async fn ensure_same_data(
        &self,
        stream_id: &str,
        header: &CommandHeader,
        data: &pb::PersonalData,
    ) -> Result<(), Status> {
        let Some(recorded) = self.commands.first_event(header.request_id).await? else {
            return Ok(());
        };
        let sealed = match commands::decode::<Person>(&recorded)? {
            person::Event::Registered(e) => e.sealed_personal_data,
            person::Event::DetailsUpdated(e) => e.sealed_personal_data,
            person::Event::Erased(_) => return Ok(()),
        };
        let state = person::State {
            registered_on: Some(Date::MIN),
            sealed_personal_data: sealed,
            ..person::State::default()
        };
        let found = self.open_all(vec![(stream_id.to_string(), state)]).await?;
        match found.into_iter().next().map(|(_, found)| found) {
            Some(Found::Data(recorded_data)) if recorded_data != *data => Err(status::request_id_reused(
                header.request_id,
                "it was already used for this person with other personal data",
            )),
            // Equal, or no longer readable (erased since): the original result stands.
            _ => Ok(()),
        }
    }

    /// Runs `f` on the blocking pool with the key store.
    async fn with_keys<T: Send + 'static>(
        &self,
        f: impl FnOnce(&KeyStore) -> Result<T, KeyStoreError> + Send + 'static,
    ) -> Result<Result<T, KeyStoreError>, Status> {
        let keys = self.keys.clone();
        tokio::task::spawn_blocking(move || f(&keys)).await.map_err(|error| {
            tracing::error!(%error, "key store task failed");
            status::key_store_task_failed()
        })
    }
}

/// The header, person id and checked personal data of a RegisterPerson or
/// CorrectPersonDetails request; INVALID_ARGUMENT naming every malformed field.
fn read_person_request(
    header: Option<&pb::CommandHeader>,
    person_id: &str,
    data: Option<&pb::PersonalData>,
) -> Result<(CommandHeader, Uuid, pb::PersonalData), Status> {
    let mut checks = Checks::default();
    let header = checks.header(header);
    let person_id = checks.id("person_id", person_id);
    let data = checked_personal_data(data, &mut checks);
    let (Some(header), Some(person_id), Some(data)) = (header, person_id, data) else {
        return Err(checks.into_status());
    };
    checks.finish()?;
    Ok((header, person_id, data))
}

/// Personal data sealed for a person's stream, with the plaintext it was checked as.
struct Sealed<'a> {
    stream_id: &'a str,
    header: &'a CommandHeader,
    data: &'a pb::PersonalData,
    sealed: SealedData,
}

/// What opening one person's latest record gave.
enum Found {
    Data(pb::PersonalData),
    /// Erased; `at` is when the key was destroyed, if the key store knows.
    Erased {
        at: Option<i64>,
    },
    Unreadable(KeyStoreError),
}

fn open_one(keys: &KeyStore, stream_id: &str, state: &person::State) -> Found {
    if state.erased.is_some() {
        return match keys.status(stream_id) {
            Ok(KeyStatus::Forgotten { at }) => Found::Erased { at: Some(at) },
            Ok(KeyStatus::Live(_)) => {
                // The log says erased but a key is back: a restored key backup. The log
                // wins; destroy it again.
                tracing::warn!(stream_id, "a key reappeared for an erased person; destroying it again");
                match keys.forget(stream_id, Timestamp::now().as_micros()) {
                    Ok(_) => Found::Erased { at: None },
                    Err(error) => Found::Unreadable(error),
                }
            }
            Ok(KeyStatus::Unknown) => Found::Erased { at: None },
            Err(error) => Found::Unreadable(error),
        };
    }
    let sealed = match SealedData::from_bytes(&state.sealed_personal_data) {
        Ok(sealed) => sealed,
        Err(error) => return Found::Unreadable(error),
    };
    match keys.open_sealed(stream_id, &sealed) {
        Ok(Opened::Plaintext(bytes)) => match pb::PersonalData::decode(bytes.as_slice()) {
            Ok(data) => Found::Data(data),
            Err(_) => Found::Unreadable(KeyStoreError::MalformedSealed(
                "the decrypted record is not PersonalData",
            )),
        },
        Ok(Opened::Erased { forgotten_at }) => Found::Erased { at: Some(forgotten_at) },
        Err(error) => Found::Unreadable(error),
    }
}

/// A key store failure as a status. Messages name no person: the key store's own errors
/// never carry subject ids, and neither do these.
fn key_error(error: &KeyStoreError, state: &person::State) -> Status {
    match error {
        KeyStoreError::Forgotten { at } => {
            let erased_on = state
                .erased
                .as_ref()
                .map_or_else(|| date_of_micros(*at), |erasure| erasure.on);
            status::domain_error(&DomainError::PersonalDataErased { erased_on })
        }
        KeyStoreError::Io { .. } => {
            tracing::error!(%error, "key store I/O failed");
            status::key_store_unavailable()
        }
        other => {
            tracing::error!(error = %other, "key store refused");
            status::key_mismatch()
        }
    }
}

/// The UTC date of a key store time, for a message.
fn date_of_micros(micros: i64) -> Date {
    Date::from_unix_micros(micros)
}

/// The key id as events store it: the UUID's 32 hex digits without hyphens, the
/// domain's code format (no longer than a code may be).
fn key_id_text(sealed: &SealedData) -> String {
    sealed.key_id.as_uuid().simple().to_string()
}

/// A stand-in for the sealed record, to ask the domain whether a command would be
/// accepted before any key is created or used.
fn placeholder_sealed() -> SealedPersonalData {
    SealedPersonalData {
        ciphertext: vec![0],
        key_id: "pending".to_string(),
    }
}

/// The digest of a person request with its personal data left out (see the module docs).
fn digest_without_personal_data<M: PersonRequest>(rpc: &str, mut request: M) -> [u8; 32] {
    request.clear_personal_data();
    forces::digest(rpc, &request)
}

trait PersonRequest: Message {
    fn clear_personal_data(&mut self);
}

impl PersonRequest for pb::RegisterPersonRequest {
    fn clear_personal_data(&mut self) {
        self.personal_data = None;
    }
}

impl PersonRequest for pb::CorrectPersonDetailsRequest {
    fn clear_personal_data(&mut self) {
        self.personal_data = None;
    }
}

/// Personal data as stored: text trimmed and NFC-normalised, each field checked. Every
/// problem is added to `checks` under `personal_data.<field>`.
pub fn checked_personal_data(data: Option<&pb::PersonalData>, checks: &mut Checks) -> Option<pb::PersonalData> {
    let Some(data) = data else {
        checks.add(
            "personal_data",
            "the person's personal data is required, at least the full name",
        );
        return None;
    };
    let before = checks.len();
    let full_name = checks.text("personal_data.full_name", &data.full_name, FULL_NAME_CHARS_MAX, true);
    let date_of_birth = data
        .date_of_birth
        .as_ref()
        .and_then(|date| checked_birth_date(date, checks));
    let citizen_id = data.citizen_id.trim().to_string();
    if !citizen_id.is_empty() && !is_citizen_id(&citizen_id) {
        checks.add(
            "personal_data.citizen_id",
            "a citizen id (số định danh, CCCD) has 12 digits and an old identity card (CMND) 9, \
             with no spaces or letters",
        );
    }
    let phone = data.phone.trim().to_string();
    if !phone.is_empty() && !is_phone_number(&phone) {
        checks.add(
            "personal_data.phone",
            format!(
                "a phone number has {PHONE_DIGITS_MIN} to {PHONE_DIGITS_MAX} digits, optionally a leading + \
                 and spaces, dots, dashes or brackets, e.g. 0912 345 678"
            ),
        );
    }
    let address = checks.text("personal_data.address", &data.address, ADDRESS_CHARS_MAX, false);
    let ethnicity = checks.text("personal_data.ethnicity", &data.ethnicity, LABEL_CHARS_MAX, false);
    let religion = checks.text("personal_data.religion", &data.religion, LABEL_CHARS_MAX, false);
    if checks.len() > before {
        return None;
    }
    Some(pb::PersonalData {
        full_name: full_name?,
        date_of_birth: date_of_birth.map(Date::to_proto),
        citizen_id,
        phone,
        address: address?,
        ethnicity: ethnicity?,
        religion: religion?,
        party_member: data.party_member,
    })
}

fn checked_birth_date(date: &pb::Date, checks: &mut Checks) -> Option<Date> {
    const FIELD: &str = "personal_data.date_of_birth";
    let Ok(date) = Date::try_from(date) else {
        // The value is not echoed: it is personal data, and messages end up in logs.
        checks.add(FIELD, "not a valid date: the month or the day does not exist");
        return None;
    };
    if date.year() < BIRTH_YEAR_MIN {
        checks.add(FIELD, format!("a date of birth is in {BIRTH_YEAR_MIN} or later"));
        return None;
    }
    if date > commands::today_in_vietnam(Timestamp::now()) {
        checks.add(FIELD, "a date of birth cannot be after today");
        return None;
    }
    Some(date)
}

/// 12 digits (số định danh cá nhân, CCCD) or 9 (the old CMND).
fn is_citizen_id(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit()) && matches!(text.len(), 9 | 12)
}

fn is_phone_number(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')') || (c == '+' && i == 0));
    allowed && (PHONE_DIGITS_MIN..=PHONE_DIGITS_MAX).contains(&digits) && phone.chars().count() <= PHONE_CHARS_MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> pb::PersonalData {
        pb::PersonalData {
            full_name: "  Nguye\u{0302}\u{0303}n Văn Hùng ".into(),
            date_of_birth: Some(pb::Date {
                year: 1975,
                month: 4,
                day: 30,
            }),
            citizen_id: "038075001234".into(),
            phone: "+84 912.345-678".into(),
            address: "Thôn 8, xã Nga Thái, huyện Nga Sơn, Thanh Hóa".into(),
            ethnicity: "Kinh".into(),
            religion: "Không".into(),
            party_member: true,
        }
    }

    #[test]
    fn personal_data_is_trimmed_and_composed() {
        let mut checks = Checks::default();
        let checked = checked_personal_data(Some(&data()), &mut checks).unwrap();
        assert_eq!(checks.len(), 0);
        assert_eq!(checked.full_name, "Nguyễn Văn Hùng");
        assert_eq!(checked.citizen_id, "038075001234");
        assert!(checked.party_member);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = data();
        bad.full_name = " ".into();
        bad.citizen_id = "03807500123".into();
        bad.phone = "09-CALL-ME".into();
        bad.date_of_birth = Some(pb::Date {
            year: 1975,
            month: 2,
            day: 30,
        });
        let mut checks = Checks::default();
        assert!(checked_personal_data(Some(&bad), &mut checks).is_none());
        let fields: Vec<String> = checks.violations().iter().map(|v| v.field.clone()).collect();
        assert_eq!(
            fields,
            [
                "personal_data.full_name",
                "personal_data.date_of_birth",
                "personal_data.citizen_id",
                "personal_data.phone"
            ]
        );
        let mut checks = Checks::default();
        assert!(checked_personal_data(None, &mut checks).is_none());
        assert_eq!(checks.violations()[0].field, "personal_data");
    }

    #[test]
    fn phone_numbers() {
        assert!(is_phone_number("0912345678"));
        assert!(!is_phone_number("(+84) 912 345 678"), "+ only leads");
        assert!(is_phone_number("+84 (912) 345 678"));
        assert!(!is_phone_number("1234567"));
        assert!(!is_phone_number("0912+345678"));
    }

    #[test]
    fn the_digest_of_a_person_request_leaves_the_data_out() {
        let request = |name: &str| pb::RegisterPersonRequest {
            header: None,
            person_id: "p".into(),
            personal_data: Some(pb::PersonalData {
                full_name: name.into(),
                ..pb::PersonalData::default()
            }),
        };
        assert_eq!(
            digest_without_personal_data("RegisterPerson", request("A")),
            digest_without_personal_data("RegisterPerson", request("B"))
        );
        assert_ne!(
            digest_without_personal_data("RegisterPerson", request("A")),
            digest_without_personal_data("CorrectPersonDetails", request("A"))
        );
    }

    #[test]
    fn key_store_times_read_as_dates() {
        assert_eq!(date_of_micros(86_400_000_000), Date::new(1970, 1, 2).unwrap());
    }
}
