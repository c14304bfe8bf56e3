//! `BigInt`: Speckle's integer that may exceed 32 bits (token lifespans in milliseconds).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BigInt(pub i64);

#[Scalar]
impl ScalarType for BigInt {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                        .map(|f| f as i64)
                })
                .map(BigInt)
                .ok_or_else(|| InputValueError::custom("BigInt must be a whole number")),
            Value::String(s) => s
                .parse()
                .map(BigInt)
                .map_err(|_| InputValueError::custom("BigInt must be a whole number")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}

/// `JSONObject`: an object's JSON as clients read and send it.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonObject(pub serde_json::Value);

#[Scalar(name = "JSONObject")]
impl ScalarType for JsonObject {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value.into_json() {
            Ok(json @ serde_json::Value::Object(_)) => Ok(JsonObject(json)),
            Ok(_) => Err(InputValueError::custom("JSONObject must be an object")),
            Err(e) => Err(InputValueError::custom(e)),
        }
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}
