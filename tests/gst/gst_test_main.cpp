// main() of the gst test programs: they test the plugin just built, whatever is installed, with a
// registry of their own so that the user's cache is neither used nor touched.
#include <gst/gst.h>
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  g_setenv("GST_PLUGIN_PATH", SCORECAM_PLUGIN_DIR, TRUE);
  g_setenv("GST_REGISTRY", SCORECAM_TEST_REGISTRY, FALSE);
  gst_init(&argc, &argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
