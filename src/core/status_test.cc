#include "core/status.h"

#include <gtest/gtest.h>

namespace amdrn {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("expected an even number, found " + std::to_string(x));
  return x / 2;
}

Status Quarter(int x, int* out) {
  AMDRN_ASSIGN_OR_RETURN(int h, Half(x));
  AMDRN_ASSIGN_OR_RETURN(*out, Half(h));
  return OkStatus();
}

TEST(Status, OkAndErrorsCarryCodeAndMessage) {
  EXPECT_TRUE(OkStatus().ok());
  Status s = NotFoundError("no file");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: no file");
  EXPECT_EQ(s.WithContext("reading a.nii").message(), "reading a.nii: no file");
}

TEST(StatusOr, MacrosPropagateTheFirstError) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "expected an even number, found 3");
}

TEST(StatusOr, OkStatusWithoutValueBecomesInternal) {
  StatusOr<int> v(OkStatus());
  EXPECT_EQ(v.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace amdrn
