// Certificates for a test's TLS broker, made at test time with the openssl command line into a
// scratch directory: a CA of its own, a server certificate it signed for 127.0.0.1 and a client
// certificate it signed. No GStreamer.
#pragma once

#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/scratch_directory.h"

namespace scorecam_test {

class TestCertificates {
 public:
  TestCertificates() {
    // EC keys: made in milliseconds, where RSA keys take a noticeable part of a second each.
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
             file("ca.key"), "-out", ca(), "-days", "2", "-subj", "/CN=scorecam test CA"});
    make_signed("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1\n");
    make_signed("client", "/CN=scorecam test client", "extendedKeyUsage=clientAuth\n");
  }

  std::string ca() const { return file("ca.crt"); }
  std::string server_certificate() const { return file("server.crt"); }
  std::string server_key() const { return file("server.key"); }
  std::string client_certificate() const { return file("client.crt"); }
  std::string client_key() const { return file("client.key"); }

 private:
  std::string file(const std::string& name) const { return directory_.file(name); }

  void make_signed(const std::string& name, const std::string& subject, const std::string& extensions) {
    std::ofstream(file(name + ".ext")) << extensions;
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
             file(name + ".key"), "-out", file(name + ".csr"), "-subj", subject});
    openssl({"x509", "-req", "-in", file(name + ".csr"), "-CA", ca(), "-CAkey", file("ca.key"), "-CAcreateserial",
             "-out", file(name + ".crt"), "-days", "2", "-extfile", file(name + ".ext")});
  }

  // Runs openssl with `arguments`; throws with its output unless it succeeds within 30 s.
  void openssl(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), "openssl");
    const std::string log = file("openssl.log");
    ChildProcess process(arguments, log);
    if (!process.started()) throw std::runtime_error(process.error());
    if (process.wait(std::chrono::seconds(30)) != 0) {
      std::ifstream in(log);
      throw std::runtime_error("openssl " + arguments[1] + " failed:\n" +
                               std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
    }
  }

  ScratchDirectory directory_;
};

}  // namespace scorecam_test
