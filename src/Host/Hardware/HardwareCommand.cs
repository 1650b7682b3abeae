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
        // Listed, not hidden: System.CommandLine prints no help at all for a hidden command.
        return new Command("hardware", "Maintainers: tools for the Verilog RMs under hardware/ (hardware/run-sim.sh).") { vectors };
    }
}
