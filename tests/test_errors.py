"""The error tree: every documented code has its class; retryable ones are exactly the transient ones."""

import pickle

import pytest

from patsnap_analytics import errors as e

DOCUMENTED = {
    68300004: e.RequestRejectedError, 68300005: e.ServiceError, 68300006: e.ServiceError,
    68300007: e.RequestRejectedError, 68300008: e.ServiceError, 68300010: e.UploadRejectedError,
    67200001: e.RateLimitError, 67200002: e.RateLimitError, 67200003: e.TokenExpiredError,
    67200004: e.PermissionDeniedError, 67200005: e.BalanceExhaustedError, 67200006: e.AuthError,
    67200007: e.DailyQuotaExceededError, 67200008: e.AuthError, 67200009: e.TokenExpiredError,
}
RETRYABLE = {68300005, 68300006, 68300008, 67200001, 67200002}


@pytest.mark.parametrize(("code", "cls"), sorted(DOCUMENTED.items()))
def test_each_code_maps_to_its_class(code, cls):
    assert e.error_for_code(code) is cls
    err = e.error_from_envelope({"status": False, "error_code": code, "error_msg": "m"}, http_status=200,
                                path="/image-search/search-id")
    assert type(err) is cls and err.error_code == code and err.http_status == 200
    assert err.retryable == (code in RETRYABLE)
    assert isinstance(err, e.PatsnapError)


def test_http_statuses_without_a_code():
    assert e.error_for_code(None, 429) is e.RateLimitError
    assert e.error_for_code(None, 503) is e.ServiceError
    assert e.error_for_code(None, 401) is e.AuthError
    assert e.error_for_code(12345, 200) is e.APIError


def test_errors_pickle_for_worker_processes():
    err = e.DailyQuotaExceededError("quota", error_code=67200007, http_status=200, path="/x")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is e.DailyQuotaExceededError and back.error_code == 67200007
    v = pickle.loads(pickle.dumps(e.ValidationError("limit", "bad")))
    assert v.parameter == "limit"


def test_garbled_error_code_is_tolerated():
    err = e.error_from_envelope({"status": False, "error_code": "abc"}, http_status=200, path="/x")
    assert type(err) is e.APIError and err.error_code is None
