// One password verify's time with Keycloak's own hashing code path, for bench/peers.mjs: Keycloak 26's argon2
// provider runs Bouncy Castle's Argon2BytesGenerator (the bcprov jar shipped in its lib/, passed on -cp), its
// pbkdf2 providers the JDK's PBKDF2WithHmacSHA*. Run on the JVM Keycloak runs on, warmed up as a running server is.
// Usage: java -cp <bcprov.jar> keycloak-hash-cost.java <algorithm> <iterations> <memoryKiB> <parallelism> <type> <hashLength> <count>
// Prints one JSON line: {"medianMs":..,"cpuMs":..,"count":..}: the median wall time, and the median CPU time of the
// hashing thread (what a verify costs the machine, whatever else runs on the cores meanwhile).
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

public class KeycloakHashCost {
  public static void main(String[] args) throws Exception {
    String algorithm = args[0];
    int iterations = Integer.parseInt(args[1]);
    int memoryKiB = Integer.parseInt(args[2]);
    int parallelism = Integer.parseInt(args[3]);
    String type = args[4];
    int hashLength = Integer.parseInt(args[5]);
    int count = Integer.parseInt(args[6]);
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    char[] password = "correct horse battery staple".toCharArray();
    // Warm-up: the JIT compiles the hot loops, as it has in a server that already served sign-ins.
    for (int i = 0; i < Math.max(5, count / 2); i++) hash(algorithm, iterations, memoryKiB, parallelism, type, hashLength, password, salt);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    double[] times = new double[count];
    double[] cpu = new double[count];
    for (int i = 0; i < count; i++) {
      long cpu0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      hash(algorithm, iterations, memoryKiB, parallelism, type, hashLength, password, salt);
      times[i] = (System.nanoTime() - t0) / 1e6;
      cpu[i] = (threads.getCurrentThreadCpuTime() - cpu0) / 1e6;
    }
    Arrays.sort(times);
    Arrays.sort(cpu);
    System.out.printf(java.util.Locale.ROOT, "{\"medianMs\":%.3f,\"cpuMs\":%.3f,\"count\":%d}%n", times[count / 2], cpu[count / 2], count);
  }

  static byte[] hash(String algorithm, int iterations, int memoryKiB, int parallelism, String type, int hashLength, char[] password, byte[] salt) throws Exception {
    if (algorithm.equals("argon2")) {
      int variant = switch (type) {
        case "i" -> Argon2Parameters.ARGON2_i;
        case "d" -> Argon2Parameters.ARGON2_d;
        default -> Argon2Parameters.ARGON2_id;
      };
      Argon2Parameters parameters = new Argon2Parameters.Builder(variant)
          .withVersion(Argon2Parameters.ARGON2_VERSION_13)
          .withSalt(salt)
          .withParallelism(parallelism)
          .withMemoryAsKB(memoryKiB)
          .withIterations(iterations)
          .build();
      Argon2BytesGenerator generator = new Argon2BytesGenerator();
      generator.init(parameters);
      byte[] out = new byte[hashLength];
      generator.generateBytes(password, out);
      return out;
    }
    // pbkdf2 (sha1), pbkdf2-sha256, pbkdf2-sha512: Keycloak's derived key sizes are 512 bits for all three.
    String prf = switch (algorithm) {
      case "pbkdf2-sha512" -> "PBKDF2WithHmacSHA512";
      case "pbkdf2-sha256" -> "PBKDF2WithHmacSHA256";
      case "pbkdf2" -> "PBKDF2WithHmacSHA1";
      default -> throw new IllegalArgumentException("unknown algorithm " + algorithm);
    };
    return SecretKeyFactory.getInstance(prf).generateSecret(new PBEKeySpec(password, salt, iterations, 512)).getEncoded();
  }
}
