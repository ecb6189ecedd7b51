// The one redaction of URLs' passwords (apps/url_credentials.h), and taking a camera URL apart
// for rtspsrc's properties.
#include <gtest/gtest.h>

#include "url_credentials.h"

using scorecam::app::redact_credentials;
using scorecam::app::split_credentials;

TEST(UrlCredentials, EveryPasswordInATextIsRedacted) {
  EXPECT_EQ(redact_credentials("connecting to rtsp://admin:S3cret@10.0.0.5:554/stream1"),
            "connecting to rtsp://admin:***@10.0.0.5:554/stream1");
  EXPECT_EQ(redact_credentials("a rtsp://u:p@h/x and rtsps://v:q@[::1]/y."), "a rtsp://u:***@h/x and rtsps://v:***@[::1]/y.");
  // An unencoded '@' or '/' in the password: hiding too much rather than too little.
  EXPECT_EQ(redact_credentials("rtsp://admin:p@ss/w@host/x"), "rtsp://admin:***@host/x");
  EXPECT_EQ(redact_credentials("location 'rtsp://admin:pw@host/x'"), "location 'rtsp://admin:***@host/x'");
  for (const std::string unchanged : {"rtsp://host:554/x", "rtsp://admin@host/x", "no URL: here", "", "mailto:a@b"})
    EXPECT_EQ(redact_credentials(unchanged), unchanged);
}

TEST(UrlCredentials, ACameraUrlIsSplitIntoLocationUserAndPassword) {
  const auto split = split_credentials("rtsp://admin:p%40ss@10.0.0.5:554/Streaming/Channels/101?transport=tcp");
  ASSERT_TRUE(split);
  EXPECT_EQ(split->location, "rtsp://10.0.0.5:554/Streaming/Channels/101?transport=tcp");
  EXPECT_EQ(split->user, "admin");
  EXPECT_EQ(split->password, "p@ss");
  const auto anonymous = split_credentials("rtsp://127.0.0.1:8554/test");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->location, "rtsp://127.0.0.1:8554/test");
  EXPECT_EQ(anonymous->user, "");
  EXPECT_FALSE(split_credentials("rtsp://admin:x@host:port/x"));
}
