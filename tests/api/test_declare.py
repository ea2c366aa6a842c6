"""The declaration's request parsing on models of its own: the 422 it gives for each kind of
pydantic error, and each field's schema as the document shows it."""

from typing import Annotated

import pytest
from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from portal.api.declare import field_schemas, validated
from portal.api.errors import ApiError


class Query(BaseModel):
    share: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] = 0.5
    count: Annotated[int, Field(ge=1, le=9)] | None = None
    name: Annotated[str, Field(max_length=3)] = "abc"

    @model_validator(mode="after")
    def _not_both(self):
        if self.count == 9 and self.share == 1.0:
            raise PydanticCustomError("too_much", "not both at their top")
        return self


@pytest.mark.parametrize(
    "given, code, message",
    [
        ({"share": "0"}, "out_of_range", "share must be in (0.0, 1.0], got 0"),
        ({"count": "10"}, "out_of_range", "count must be in [1, 9], got 10"),
        ({"count": "1.5"}, "invalid_parameter", "count must be a number, got '1.5'"),
        ({"share": "-inf"}, "invalid_parameter", "share must be finite"),
        ({"name": "abcd"}, "invalid_parameter", "name: String should have at most 3 characters"),
        ({"count": "9", "share": "1"}, "too_much", "not both at their top"),
    ],
)
def test_each_pydantic_error_is_a_422_with_a_message(given, code, message):
    with pytest.raises(ApiError) as refused:
        validated(Query, given, "invalid_parameter")
    assert (refused.value.status, refused.value.code, refused.value.message) == (422, code, message)


def test_defaults_and_parsed_values():
    assert validated(Query, {}, "invalid_parameter").model_dump() == {
        "share": 0.5,
        "count": None,
        "name": "abc",
    }
    assert validated(Query, {"count": "3", "share": "1"}, "x").model_dump()["count"] == 3


def test_a_field_absent_by_default_is_documented_without_null_or_default():
    schemas = field_schemas(Query)
    assert schemas["count"] == {"type": "integer", "minimum": 1, "maximum": 9}
    assert schemas["share"] == {
        "type": "number",
        "exclusiveMinimum": 0.0,
        "maximum": 1.0,
        "default": 0.5,
    }
