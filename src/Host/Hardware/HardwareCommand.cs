using System.CommandLine;

namespace Dpr.Host.Hardware;

/// <summary><c>dpr hardware vectors --out DIR [--seed N]</c>: what hardware/run-sim.sh feeds the testbenches.</summary>
public static class HardwareCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "Directory for convKxK_intP.hex (created if missing).",
            Required = true,
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of the random cases.",
            DefaultValueFactory = _ => HardwareVectors.DefaultSeed,
        };
        var vectors = new Command("vectors", "Write test vectors for the Verilog RMs from the C# reference.") { output, seed };
        vectors.SetAction(parse =>
        {
            foreach (var path in HardwareVectors.WriteAll(parse.GetRequiredValue(output), parse.GetValue(seed)))
            {
                Console.WriteLine(path);
            }
            return 0;
        });
        // Hidden: a maintainer's tool for hardware/run-sim.sh, not something a user of the service needs.
        var hardware = new Command("hardware", "Tools for the Verilog RMs under hardware/.") { vectors };
        hardware.Hidden = true;
        return hardware;
    }
}
