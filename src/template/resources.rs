//! What a template says of its resources that rackfile needs outside the impact analysis: which ones
//! CloudFormation keeps when the stack is deleted.

use super::document::{DocumentError, parse_document};

/// A resource a template keeps on deletion (`DeletionPolicy: Retain`), e.g. Convox's settings bucket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetainedResource {
    pub logical_id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
}

/// The resources of a template body that outlive its stack, in template order.
pub fn retained_resources(body: &str) -> Result<Vec<RetainedResource>, DocumentError> {
    let document = parse_document(body)?;
    let Some(resources) = document.get("Resources").and_then(|r| r.as_object()) else {
        return Ok(Vec::new());
    };
    Ok(resources
        .iter()
        .filter(|(_, resource)| {
            matches!(
                resource.get("DeletionPolicy").and_then(|p| p.as_str()),
                Some("Retain" | "RetainExceptOnCreate")
            )
        })
        .map(|(logical_id, resource)| RetainedResource {
            logical_id: logical_id.clone(),
            resource_type: resource
                .get("Type")
                .and_then(|t| t.as_str())
                .unwrap_or("(no type)")
                .to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_kept_on_deletion_are_found_in_json_and_yaml() {
        let yaml = "Resources:\n  Settings:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Retain\n\
                    \x20 Vpc:\n    Type: AWS::EC2::VPC\n  Logs:\n    Type: AWS::Logs::LogGroup\n    DeletionPolicy: Delete\n";
        assert_eq!(
            retained_resources(yaml).unwrap(),
            [RetainedResource {
                logical_id: "Settings".into(),
                resource_type: "AWS::S3::Bucket".into()
            }]
        );
        let json = r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "RetainExceptOnCreate"}}}"#;
        assert_eq!(retained_resources(json).unwrap().len(), 1);
        assert!(retained_resources("{").is_err());
    }
}
