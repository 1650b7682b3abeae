using System.CommandLine;
using Dpr.Fabric.Boards;
using Dpr.Fabric.Modules;
using Spectre.Console;

namespace Dpr.Host.Cli;

/// <summary><c>dpr modules init|keygen|sign|verify</c>: build, sign and check a module catalog directory; <c>list</c> asks a running service.</summary>
public static class ModulesCommand
{
    public static Command Create() => new("modules", "Build, sign and check module catalogs; list a running service's modules.")
    {
        Init(), Keygen(), Sign(), Verify(), Client.ClientCommands.ModulesList(),
    };

    private static Command Init()
    {
        var dir = new Argument<DirectoryInfo>("DIR") { Description = "The catalog directory to write." };
        var board = BoardOption();
        var key = new Option<FileInfo?>("--key") { Description = "Sign the manifests with this private key (PEM)." };
        var command = new Command("init", "Write synthetic partials and manifests for the six convolution modules of a board.") { dir, board, key };
        CliAction.Set(command, (parse, output) =>
        {
            var b = BoardCatalog.Load(parse.GetValue(board)!);
            using var signer = parse.GetValue(key) is { } k ? ModuleSigner.LoadKey(ReadText(k)) : null;
            var target = parse.GetValue(dir)!.FullName;
            ModuleCatalog.WriteSynthetic(b, target, signer);
            output.WriteLine($"wrote 6 synthetic convolution modules for {b.Name} to {target}{(signer is null ? "" : ", signed")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Keygen()
    {
        var prefix = new Argument<string>("PREFIX") { Description = "Writes PREFIX.key.pem (private, keep it safe) and PREFIX.pub.pem." };
        var command = new Command("keygen", "Create an ECDSA P-256 signing key pair.") { prefix };
        CliAction.Set(command, (parse, output) =>
        {
            using var key = ModuleSigner.CreateKey();
            var p = parse.GetValue(prefix)!;
            WriteText(p + ".key.pem", key.ExportPkcs8PrivateKeyPem());
            WriteText(p + ".pub.pem", key.ExportSubjectPublicKeyInfoPem());
            output.WriteLine($"key {ModuleSigner.KeyId(key)}: wrote {p}.key.pem and {p}.pub.pem");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Sign()
    {
        var manifests = new Argument<FileInfo[]>("MANIFEST") { Description = "Manifests to sign in place.", Arity = ArgumentArity.OneOrMore };
        var key = new Option<FileInfo>("--key") { Description = "The private key (PEM).", Required = true };
        var command = new Command("sign", "Sign module manifests (the image hash and the manifest fields).") { manifests, key };
        CliAction.Set(command, (parse, output) =>
        {
            using var signer = ModuleSigner.LoadKey(ReadText(parse.GetValue(key)!));
            foreach (var file in parse.GetValue(manifests)!)
            {
                ModuleManifest manifest;
                try
                {
                    manifest = ModuleCatalog.Read(file.FullName);
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException or ModuleProblemException)
                {
                    throw new CliFailure(ExitCodes.UsageOrFile, $"cannot read manifest {file.FullName}: {e.Message}");
                }
                ModuleCatalog.Save(ModuleSigner.Sign(manifest, signer), file.FullName);
                output.WriteLine($"signed {file.Name} with key {ModuleSigner.KeyId(signer)}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify()
    {
        var dir = new Argument<DirectoryInfo>("DIR") { Description = "The catalog directory." };
        var board = BoardOption();
        var trust = new Option<FileInfo[]>("--trust") { Description = "Public keys (PEM) whose signatures are accepted.", AllowMultipleArgumentsPerToken = true };
        var require = new Option<bool>("--require-signed") { Description = "Refuse unsigned modules." };
        var command = new Command("verify", "Check every module of a catalog against a board; exit 0 only if all are good.") { dir, board, trust, require };
        CliAction.Set(command, (parse, output) =>
        {
            var b = BoardCatalog.Load(parse.GetValue(board)!);
            var keys = (parse.GetValue(trust) ?? []).Select(f => ModuleSigner.LoadKey(ReadText(f))).ToList();
            var catalog = ModuleCatalog.Load(parse.GetValue(dir)!.FullName, b, new ModuleCatalogOptions(parse.GetValue(require), keys));
            var console = InspectCommand.ConsoleFor(output);
            var table = new Table().Border(TableBorder.Rounded).AddColumns("module", "aliases", "partition", "kind", "bytes", "signed", "status");
            foreach (var m in catalog.Modules)
            {
                table.AddRow(
                    Markup.Escape(m.Name), Markup.Escape(string.Join(", ", m.Manifest.Aliases)), m.Partition.Name, Markup.Escape(m.Manifest.Kind.ToString()),
                    $"{m.Image.File.Length:N0}", m.Signed ? "yes" : "no", m.Manifest.Synthetic ? "[green]ok[/] (synthetic)" : "[green]ok[/]");
            }
            foreach (var p in catalog.Problems)
            {
                table.AddRow(Markup.Escape(Path.GetFileName(p.File)), "", "", "", "", "", $"[red]{Markup.Escape(p.Field)}: {Markup.Escape(p.Message)}[/]");
            }
            console.Write(table);
            return catalog.Problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Malformed;
        });
        return command;
    }

    private static Option<string> BoardOption() => new("--board") { Description = "A built-in board name or a board JSON file.", Required = true };

    private static string ReadText(FileInfo file) => System.Text.Encoding.UTF8.GetString(CliAction.ReadFile(file));

    private static void WriteText(string path, string text) => CliAction.WriteFile(new FileInfo(path), System.Text.Encoding.UTF8.GetBytes(text));
}
