//! Builders of CloudFormation query-protocol responses shaped exactly like AWS's: the
//! `<{Action}Response>` envelope with its result element and `ResponseMetadata`, and the
//! `<ErrorResponse>` of a 400. Only the members gapfill reads vary; the rest are fixed,
//! realistic values.

use std::fmt::Write;

/// CloudFormation's XML namespace.
pub const NAMESPACE: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

/// The account every scripted ARN uses.
const ACCOUNT: &str = "123456789012";

/// One HTTP answer of the scripted responder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Escapes text for an XML element.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `<Name>text</Name>`, escaped.
fn element(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", escape(text))
}

/// A successful response whose result element holds `result` (`None`: no result element, as
/// DeleteStack answers).
pub fn ok(action: &str, result: Option<&str>) -> Reply {
    let result = match result {
        Some("") => format!("<{action}Result/>"),
        Some(inner) => format!("<{action}Result>{inner}</{action}Result>"),
        None => String::new(),
    };
    let body = format!(
        "<{action}Response xmlns=\"{NAMESPACE}\">{result}<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>\n",
        request_id()
    );
    Reply { status: 200, body }
}

/// An error response, as CloudFormation sends it with status 400.
pub fn error(code: &str, message: &str) -> Reply {
    let body = format!(
        "<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>Sender</Type>{}{}</Error><RequestId>{}</RequestId></ErrorResponse>\n",
        element("Code", code),
        element("Message", message),
        request_id()
    );
    Reply { status: 400, body }
}

/// The throttling error CloudFormation answers when calls come too fast.
pub fn throttling() -> Reply {
    error("Throttling", "Rate exceeded")
}

/// DescribeStacks' answer for a stack that does not exist.
pub fn missing_stack(name: &str) -> Reply {
    error(
        "ValidationError",
        &format!("Stack with id {name} does not exist"),
    )
}

/// The ARN of a stack; `generation` tells apart a stack and its re-creation under one name.
pub fn stack_arn(name: &str, generation: u32) -> String {
    format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{name}/0000000{generation}-aaaa-4bbb-8ccc-dddddddddddd")
}

/// The ARN of a change set.
pub fn change_set_arn(name: &str) -> String {
    format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/{name}/11111111-2222-4333-8444-555555555555")
}

/// A stack as DescribeStacks shows it.
#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub id: String,
    pub status: String,
    pub reason: Option<String>,
    pub parameters: Vec<(String, String)>,
    pub outputs: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub capabilities: Vec<String>,
}

impl Stack {
    pub fn new(name: &str, status: &str) -> Stack {
        Stack {
            name: name.to_string(),
            id: stack_arn(name, 1),
            status: status.to_string(),
            reason: None,
            parameters: Vec::new(),
            outputs: Vec::new(),
            tags: Vec::new(),
            capabilities: Vec::new(),
        }
    }

    pub fn id(mut self, id: &str) -> Stack {
        self.id = id.to_string();
        self
    }

    pub fn reason(mut self, reason: &str) -> Stack {
        self.reason = Some(reason.to_string());
        self
    }

    pub fn parameter(mut self, key: &str, value: &str) -> Stack {
        self.parameters.push((key.to_string(), value.to_string()));
        self
    }

    pub fn output(mut self, key: &str, value: &str) -> Stack {
        self.outputs.push((key.to_string(), value.to_string()));
        self
    }

    pub fn tag(mut self, key: &str, value: &str) -> Stack {
        self.tags.push((key.to_string(), value.to_string()));
        self
    }

    pub fn capability(mut self, capability: &str) -> Stack {
        self.capabilities.push(capability.to_string());
        self
    }

    fn member(&self) -> String {
        let mut xml = String::from("<member>");
        xml += &element("StackId", &self.id);
        xml += &element("StackName", &self.name);
        xml += &members(
            "Parameters",
            &self.parameters,
            "ParameterKey",
            "ParameterValue",
        );
        xml += "<CreationTime>2026-01-01T00:00:00.000Z</CreationTime>";
        xml += &element("StackStatus", &self.status);
        if let Some(reason) = &self.reason {
            xml += &element("StackStatusReason", reason);
        }
        xml += "<DisableRollback>false</DisableRollback><NotificationARNs/>";
        if !self.capabilities.is_empty() {
            xml += "<Capabilities>";
            for capability in &self.capabilities {
                xml += &element("member", capability);
            }
            xml += "</Capabilities>";
        }
        xml += &members("Outputs", &self.outputs, "OutputKey", "OutputValue");
        xml += &members("Tags", &self.tags, "Key", "Value");
        xml +=
            "<DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation>";
        xml += "</member>";
        xml
    }
}

/// A list of key/value members; an empty list is left out, as AWS does.
fn members(list: &str, pairs: &[(String, String)], key: &str, value: &str) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let mut xml = format!("<{list}>");
    for (k, v) in pairs {
        let _ = write!(
            xml,
            "<member>{}{}</member>",
            element(key, k),
            element(value, v)
        );
    }
    xml + &format!("</{list}>")
}

/// DescribeStacks' answer.
pub fn describe_stacks(stacks: &[Stack]) -> Reply {
    let members: String = stacks.iter().map(Stack::member).collect();
    ok(
        "DescribeStacks",
        Some(&format!("<Stacks>{members}</Stacks>")),
    )
}

/// One stack event.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub logical_id: String,
    pub physical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
    /// Seconds after 2026-01-01T00:00:00Z.
    pub second: u32,
}

/// A stack's event history, oldest first; each page shows all of it newest first, as
/// DescribeStackEvents does, so a script can hand out the history as it grows.
#[derive(Debug, Clone)]
pub struct EventLog {
    stack: String,
    stack_id: String,
    events: Vec<Event>,
    /// Added to event ids, so two logs of one stack (two generations) never share an id.
    generation: u32,
}

impl EventLog {
    pub fn new(stack: &str) -> EventLog {
        EventLog::generation(stack, 1)
    }

    /// The log of generation `generation` of the stack (see [`stack_arn`]).
    pub fn generation(stack: &str, generation: u32) -> EventLog {
        EventLog {
            stack: stack.to_string(),
            stack_id: stack_arn(stack, generation),
            events: Vec::new(),
            generation,
        }
    }

    /// Records a stack-level event.
    pub fn stack(&mut self, status: &str, reason: Option<&str>) -> &mut EventLog {
        let stack = self.stack.clone();
        let id = self.stack_id.clone();
        self.push(&stack, &id, "AWS::CloudFormation::Stack", status, reason)
    }

    /// Records a resource event.
    pub fn resource(
        &mut self,
        logical_id: &str,
        resource_type: &str,
        status: &str,
        reason: Option<&str>,
    ) -> &mut EventLog {
        let physical = format!("{}-{logical_id}-XYZ", self.stack);
        self.push(logical_id, &physical, resource_type, status, reason)
    }

    fn push(
        &mut self,
        logical_id: &str,
        physical_id: &str,
        resource_type: &str,
        status: &str,
        reason: Option<&str>,
    ) -> &mut EventLog {
        let sequence = self.events.len();
        self.events.push(Event {
            id: format!("{logical_id}-{status}-g{}-{sequence}", self.generation),
            logical_id: logical_id.to_string(),
            physical_id: physical_id.to_string(),
            resource_type: resource_type.to_string(),
            status: status.to_string(),
            reason: reason.map(str::to_string),
            second: sequence as u32,
        });
        self
    }

    /// DescribeStackEvents' answer with every event so far, newest first.
    pub fn page(&self) -> Reply {
        let mut xml = String::from("<StackEvents>");
        for event in self.events.iter().rev() {
            xml += "<member>";
            xml += &element("StackId", &self.stack_id);
            xml += &element("EventId", &event.id);
            xml += &element("StackName", &self.stack);
            xml += &element("LogicalResourceId", &event.logical_id);
            xml += &element("PhysicalResourceId", &event.physical_id);
            xml += &element("ResourceType", &event.resource_type);
            let _ = write!(
                xml,
                "<Timestamp>2026-01-01T00:{:02}:{:02}.000Z</Timestamp>",
                event.second / 60,
                event.second % 60
            );
            xml += &element("ResourceStatus", &event.status);
            if let Some(reason) = &event.reason {
                xml += &element("ResourceStatusReason", reason);
            }
            xml += "</member>";
        }
        xml += "</StackEvents>";
        ok("DescribeStackEvents", Some(&xml))
    }
}

/// CreateChangeSet's answer, for the first stack of the name.
pub fn create_change_set(stack: &str, change_set: &str) -> Reply {
    create_change_set_of(&stack_arn(stack, 1), change_set)
}

/// CreateChangeSet's answer for the stack `stack_id`.
pub fn create_change_set_of(stack_id: &str, change_set: &str) -> Reply {
    let inner = format!(
        "{}{}",
        element("Id", &change_set_arn(change_set)),
        element("StackId", stack_id)
    );
    ok("CreateChangeSet", Some(&inner))
}

/// ListChangeSets's answer: the change sets of `stack`, as (name, execution status).
pub fn list_change_sets(stack: &str, change_sets: &[(&str, &str)]) -> Reply {
    let mut xml = String::from("<Summaries>");
    for (name, execution) in change_sets {
        xml += "<member>";
        xml += &element("ChangeSetName", name);
        xml += &element("ChangeSetId", &change_set_arn(name));
        xml += &element("StackId", &stack_arn(stack, 1));
        xml += &element("StackName", stack);
        xml += &element("ExecutionStatus", execution);
        xml += &element("Status", "CREATE_COMPLETE");
        xml += "</member>";
    }
    xml += "</Summaries>";
    ok("ListChangeSets", Some(&xml))
}

/// One resource change: (action, logical id, resource type, replacement).
pub type Change<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

/// DescribeChangeSet's answer: `status` (CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_COMPLETE,
/// FAILED), its reason, and the resource changes.
pub fn describe_change_set(
    stack: &str,
    status: &str,
    reason: Option<&str>,
    changes: &[Change<'_>],
) -> Reply {
    let execution = if status == "CREATE_COMPLETE" {
        "AVAILABLE"
    } else {
        "UNAVAILABLE"
    };
    let mut xml = element("ChangeSetName", "gapfill-scripted");
    xml += &element("ChangeSetId", &change_set_arn("gapfill-scripted"));
    xml += &element("StackId", &stack_arn(stack, 1));
    xml += &element("StackName", stack);
    xml += "<CreationTime>2026-01-01T00:00:00.000Z</CreationTime>";
    xml += &element("ExecutionStatus", execution);
    xml += &element("Status", status);
    if let Some(reason) = reason {
        xml += &element("StatusReason", reason);
    }
    xml += "<Changes>";
    for (action, logical_id, resource_type, replacement) in changes {
        xml += "<member><Type>Resource</Type><ResourceChange>";
        xml += &element("Action", action);
        xml += &element("LogicalResourceId", logical_id);
        xml += &element("ResourceType", resource_type);
        if let Some(replacement) = replacement {
            xml += &element("Replacement", replacement);
        }
        xml += "<Scope/><Details/></ResourceChange></member>";
    }
    xml += "</Changes>";
    ok("DescribeChangeSet", Some(&xml))
}

/// The reason CloudFormation gives for a change set with nothing to change.
pub const EMPTY_CHANGE_SET_REASON: &str = "The submitted information didn't contain changes. Submit different information to create a change set.";

/// ExecuteChangeSet's answer.
pub fn execute_change_set() -> Reply {
    ok("ExecuteChangeSet", Some(""))
}

/// DeleteChangeSet's answer.
pub fn delete_change_set() -> Reply {
    ok("DeleteChangeSet", Some(""))
}

/// DeleteStack's answer (it has no result element).
pub fn delete_stack() -> Reply {
    ok("DeleteStack", None)
}

/// ContinueUpdateRollback's answer.
pub fn continue_update_rollback() -> Reply {
    ok("ContinueUpdateRollback", Some(""))
}

/// GetTemplate's answer with the original template `body`.
pub fn get_template(body: &str) -> Reply {
    let inner = format!(
        "{}<StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>",
        element("TemplateBody", body)
    );
    ok("GetTemplate", Some(&inner))
}

/// DetectStackDrift's answer: the detection's id.
pub fn detect_stack_drift(detection: &str) -> Reply {
    ok(
        "DetectStackDrift",
        Some(&element("StackDriftDetectionId", detection)),
    )
}

/// DescribeStackDriftDetectionStatus's answer: `detection` (DETECTION_IN_PROGRESS,
/// DETECTION_COMPLETE, DETECTION_FAILED), the stack's drift status when known (DRIFTED,
/// IN_SYNC, NOT_CHECKED), and the reason of a failed detection.
pub fn drift_detection_status(
    stack: &str,
    id: &str,
    detection: &str,
    drift: Option<&str>,
    reason: Option<&str>,
) -> Reply {
    let mut inner = element("StackId", &stack_arn(stack, 1));
    inner += &element("StackDriftDetectionId", id);
    if let Some(drift) = drift {
        inner += &element("StackDriftStatus", drift);
    }
    inner += &element("DetectionStatus", detection);
    if let Some(reason) = reason {
        inner += &element("DetectionStatusReason", reason);
    }
    inner += &element("Timestamp", "2026-12-02T08:00:00.000Z");
    ok("DescribeStackDriftDetectionStatus", Some(&inner))
}

/// One drifted resource: logical id, type, status, and (path, expected, actual, difference)
/// for each property.
pub type ResourceDrift<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Vec<(&'a str, &'a str, &'a str, &'a str)>,
);

/// DescribeStackResourceDrifts's answer.
pub fn resource_drifts(stack: &str, drifts: &[ResourceDrift<'_>]) -> Reply {
    let mut inner = String::from("<StackResourceDrifts>");
    for (logical_id, resource_type, status, properties) in drifts {
        inner += "<member>";
        inner += &element("StackId", &stack_arn(stack, 1));
        inner += &element("LogicalResourceId", logical_id);
        inner += &element("PhysicalResourceId", &format!("{logical_id}-physical"));
        inner += &element("ResourceType", resource_type);
        inner += &element("StackResourceDriftStatus", status);
        inner += &element("Timestamp", "2026-12-02T08:00:00.000Z");
        inner += "<PropertyDifferences>";
        for (path, expected, actual, difference) in properties {
            inner += "<member>";
            inner += &element("PropertyPath", path);
            inner += &element("ExpectedValue", expected);
            inner += &element("ActualValue", actual);
            inner += &element("DifferenceType", difference);
            inner += "</member>";
        }
        inner += "</PropertyDifferences></member>";
    }
    inner += "</StackResourceDrifts>";
    ok("DescribeStackResourceDrifts", Some(&inner))
}
