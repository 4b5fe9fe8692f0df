#include "core/csv.h"

#include <cmath>

#include <gtest/gtest.h>

namespace amdrn {
namespace {

TEST(Csv, ParsesQuotesCommasAndMissingValues) {
  auto table = ParseCsv("id,note,x\r\n1,\"a, \"\"quoted\"\" one\",2.5\n2,plain,NA\n");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->num_rows(), 2u);
  EXPECT_EQ(table->rows()[0][1], "a, \"quoted\" one");
  auto x = table->NumericColumn("x");
  ASSERT_TRUE(x.ok());
  EXPECT_DOUBLE_EQ((*x)[0], 2.5);
  EXPECT_TRUE(std::isnan((*x)[1]));
}

TEST(Csv, RoundTripsThroughText) {
  CsvTable t({"a", "b"});
  ASSERT_TRUE(t.AddRow({"x,y", "1e-300"}).ok());
  auto back = ParseCsv(t.ToString());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->rows()[0][0], "x,y");
  EXPECT_EQ(back->rows()[0][1], "1e-300");
}

TEST(Csv, ErrorsNameTheProblem) {
  EXPECT_EQ(ParseCsv("a,b\n1\n").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCsv("").status().code(), StatusCode::kInvalidArgument);
  auto t = ParseCsv("a\nhello\n");
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->NumericColumn("a").status().message().find("'hello'"), std::string::npos);
  EXPECT_EQ(t->Column("b").status().code(), StatusCode::kNotFound);
}

TEST(FormatDouble, IsShortestExactText) {
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(std::stod(FormatDouble(1.0 / 3.0)), 1.0 / 3.0);
  EXPECT_EQ(FormatDouble(NAN), "NA");
}

}  // namespace
}  // namespace amdrn
