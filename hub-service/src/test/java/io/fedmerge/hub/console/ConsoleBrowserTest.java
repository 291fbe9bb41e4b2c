package io.fedmerge.hub.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedmerge.core.generate.ModelShape;
import io.fedmerge.edge.HubClient;
import io.fedmerge.edge.Manifests;
import io.fedmerge.hub.Federation;
import io.fedmerge.hub.TestHub;
import io.fedmerge.hub.TestIdp;
import io.fedmerge.hub.node.NodeRegistry;
import io.fedmerge.hub.round.Artifact;
import io.fedmerge.hub.round.EvaluationOutcome;
import io.fedmerge.hub.round.RoundState;
import io.fedmerge.hub.round.RoundStore;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.FluentWait;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real headless Chromium (Debian's, installed by scripts/test-browser.sh; without it this test is
 * skipped): a network admin signs in with an access token, mints an enrollment token that a node then enrolls with,
 * opens a round from the form and watches it publish; an auditor is shown the hub's refusal. Every test fails on an
 * error in the page's console and leaves screenshots in target/console-screenshots.
 */
@EnabledIfEnvironmentVariable(named = "FEDMERGE_TEST_CHROMEDRIVER", matches = ".+")
class ConsoleBrowserTest {
    static final Path SHOTS = Path.of("target", "console-screenshots");
    @TempDir
    static Path dir;
    static TestIdp idp;
    static Federation models;
    static TestHub hub;
    static ChromeDriver browser;
    /** Browser-console lines a test expects (the hub's refusal of a request it set out to make). */
    private String expectedConsoleError;

    @BeforeAll
    static void start() throws IOException {
        idp = new TestIdp();
        models = new Federation(dir.resolve("models"), ModelShape.preset("tiny"), 2);
        hub = TestHub.start(dir.resolve("hub"), idp.hubSettings(models.modelsRootArg()));
        Federation.registerBase(hub);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(System.getenv("FEDMERGE_TEST_CHROMIUM"));
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(System.getenv("FEDMERGE_TEST_CHROMEDRIVER"))).usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        hub.close();
        idp.close();
    }

    @BeforeEach
    void freshTab() {
        expectedConsoleError = null;
        browser.get(url("/console"));
        browser.executeScript("sessionStorage.clear()");
        browser.navigate().refresh();
        browser.manage().logs().get(LogType.BROWSER); // start each test with an empty console
    }

    @AfterEach
    void noErrorsInThePage() {
        List<String> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::getMessage)
                // resources other sites' pages load (the provider's login page fetches web fonts) are not ours to
                // judge; the console loads nothing from elsewhere (its CSP would refuse it, which is reported)
                .filter(m -> m.startsWith(url("/")) || !m.contains("Failed to load resource"))
                .filter(m -> expectedConsoleError == null || !m.contains(expectedConsoleError)).toList();
        assertThat(errors).as("errors in the browser console").isEmpty();
    }

    @Test
    void aNetworkAdminMintsATokenOpensARoundAndWatchesItPublish() throws Exception {
        signIn(idp.token("net.admin", null, "network-admin"));
        assertThat(text("#who")).contains("net.admin", "network-admin");

        browser.findElement(By.linkText("Enrollment tokens")).click();
        browser.findElement(By.id("token-note")).sendKeys("St Mary radiology");
        browser.findElement(By.cssSelector("#token-form button")).click();
        String minted = waitFor().until(d -> {
            String t = text("#minted-token");
            return t.startsWith("fmt_") ? t : null;
        });
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("tokens-table"),
                "St Mary radiology"));
        screenshot("tokens");
        // the token the console showed once is the real one: a hospital enrolls with it
        NodeRegistry.Enrollment stMary = hub.bean(NodeRegistry.class).enroll(minted, "st-mary");
        NodeRegistry.Enrollment royal = hub.enroll("royal-infirmary");

        browser.findElement(By.linkText("Rounds")).click();
        new Select(waitFor().until(d -> {
            WebElement s = d.findElement(By.id("round-base"));
            return s.findElements(By.tagName("option")).isEmpty() ? null : s;
        })).selectByVisibleText("base");
        // the form asks what the method defines: task_arithmetic's required weight, then hierarchical's granularity
        Select method = new Select(browser.findElement(By.id("round-method")));
        assertThat(method.getOptions()).extracting(WebElement::getText).contains("ties", "della",
                "hierarchical_cosine_ot_lerp", "arcee_fusion");
        assertThat(browser.findElement(By.id("param-PER_MODEL-weight")).getAttribute("required")).isNotNull();
        method.selectByVisibleText("hierarchical_cosine_ot_lerp");
        new Select(browser.findElement(By.id("param-GLOBAL-granularity"))).selectByVisibleText("block");
        assertThat(text("#param-GLOBAL-min_weight-hint")).contains("0 <= min_weight <= 1", "default 0");
        WebElement min = browser.findElement(By.id("round-min"));
        min.clear();
        min.sendKeys("2");
        browser.findElement(By.cssSelector("#round-form button")).click();
        // read the round's id inside the wait: the table is rebuilt every 2 s, so a row found a moment ago may be gone
        String round = waitFor().until(d -> d.findElements(By.cssSelector("#rounds-table tbody tr")).stream()
                .filter(r -> r.getText().contains("OPEN")).map(r -> r.getAttribute("data-round")).findFirst()
                .orElse(null));

        int variant = 1;
        for (NodeRegistry.Enrollment node : List.of(stMary, royal)) {
            try (HubClient c = new HubClient("127.0.0.1:" + hub.grpcPort(), node.credential())) {
                Path tv = models.taskVector(variant++);
                c.upload(round, tv, Manifests.of(tv), n -> { });
            }
        }
        By roundRow = By.cssSelector("#rounds-table tr[data-round='" + round + "']");
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(roundRow, "2 of 2 needed"));
        click(By.cssSelector("button[aria-label='Details of round " + round + "']"));
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("round-live"), "OPEN"));
        click(By.cssSelector("button[aria-label='Merge round " + round + " now']"));
        // the details follow the round over server-sent events and show the agreement map once it published
        new WebDriverWait(browser, Duration.ofSeconds(120))
                .until(ExpectedConditions.textToBePresentInElementLocated(By.id("round-live"), "PUBLISHED"));
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(roundRow, "PUBLISHED"));
        waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("heatmap")));
        assertThat(text("#contributions")).contains("st-mary", "royal-infirmary", "task vector");
        assertThat(worstContrast()).as("lowest text contrast on the page, heat map included")
                .isGreaterThanOrEqualTo(4.5);
        assertThat(browser.findElements(By.cssSelector("#heatmap tbody tr"))).hasSize(
                ModelShape.preset("tiny").layers() + 3);
        assertThat(text("#heatmap")).contains("model.layers.0", "model.layers.1");
        screenshot("round-published");

        browser.findElement(By.linkText("Audit log")).click();
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit-table"), "round.merge"));
        assertThat(text("#audit-table")).contains("net.admin");
    }

    @Test
    void anAdminSignsInAtTheIdentityProviderAndComesBackSignedIn() {
        assertThat(browser.findElement(By.id("sign-in-provider")).isDisplayed()).isTrue();
        browser.findElement(By.id("sign-in-provider")).click();
        // the provider's login page (mock-oauth2-server's): who signs in, and the claims the network gives them
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.name("username"))).sendKeys("dr.sso");
        browser.findElement(By.name("claims")).sendKeys("{\"roles\": [\"network-admin\"], \"aud\": \""
                + TestIdp.AUDIENCE + "\"}");
        browser.findElement(By.cssSelector("input[type='submit']")).click();
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "dr.sso"));
        assertThat(text("#who")).contains("network-admin");
        assertThat(browser.getCurrentUrl()).startsWith(url("/console/")).doesNotContain("code=");
        browser.findElement(By.linkText("Audit log")).click();
        waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("audit-table")));
        screenshot("signed-in-at-provider");
    }

    @Test
    void anAuditorSeesEverythingButIsShownTheHubsRefusalWhenItTriesToChangeSomething() {
        hub.enroll("audited-hospital");
        signIn(idp.token("the.auditor", null, "auditor"));
        browser.findElement(By.linkText("Nodes")).click();
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("nodes-table"),
                "audited-hospital"));
        assertThat(text("#nodes-table")).contains("no certificate"); // no mutual TLS on this hub
        browser.findElement(By.linkText("Enrollment tokens")).click();
        browser.findElement(By.id("token-note")).sendKeys("not allowed");
        expectedConsoleError = "status of 403";
        browser.findElement(By.cssSelector("#token-form button")).click();
        WebElement problem = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("problem")));
        assertThat(problem.getText()).contains("this credential may not do that here");
        assertThat(browser.findElement(By.id("minted")).isDisplayed()).isFalse();
        screenshot("auditor-refused");
    }

    @Test
    void aRejectedRoundShowsTheSitesScoresAndWhyNothingWasPublished() throws Exception {
        String round = Federation.openRound(hub);
        // the sites' verdict as the evaluation gate records it (EvaluationRoundTest runs the real scoring)
        EvaluationOutcome outcome = new EvaluationOutcome("accuracy", 2, 0.55, Map.of("n1", 0.5, "n2", 0.6),
                List.of(new EvaluationOutcome.Scored(1, "ties", 0.61, Map.of("n1", 0.7, "n2", 0.52), 0.08, false)),
                0, "no candidate held the gate: candidate 1 (ties) is 0.080 below site n2's current model");
        assertThat(hub.bean(RoundStore.class).transition(round, RoundState.OPEN, RoundState.REJECTED,
                outcome.reason(), new Artifact(List.of(), null, 2, 1.0, null,
                        new Artifact.Evaluation(List.of(), outcome)))).isTrue();
        signIn(idp.token("the.auditor", null, "auditor"));
        click(By.cssSelector("button[aria-label='Details of round " + round + "']"));
        waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("evaluation")));
        assertThat(text("#evaluation")).contains("ties", "0.6100", "0.0800", "failed");
        assertThat(text("#evaluation-reason")).contains("accuracy over 2 site(s)", "no candidate held the gate");
        assertThat(text("#round-live")).contains("REJECTED");
        screenshot("round-rejected");
    }

    @Test
    void aTokenWithoutAFedmergeRoleIsToldSoAndSeesNoData() {
        expectedConsoleError = "status of 403";
        signInWith(idp.token("a.clinician", null, "clinician"));
        WebElement problem = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("problem")));
        assertThat(problem.getText()).contains("carries no fedmerge role");
        assertThat(browser.findElement(By.id("tabs")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("sign-in")).isDisplayed()).isTrue();
    }

    @Test
    void everyControlHasALabelAndTheSignInWorksFromTheKeyboard() {
        everyControlHasOneLabel();
        assertThat(worstContrast()).as("lowest text contrast of the sign-in page").isGreaterThanOrEqualTo(4.5);
        WebElement field = browser.findElement(By.id("token"));
        field.sendKeys(idp.token("kbd.admin", null, "network-admin"), Keys.ENTER);
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "kbd.admin"));
        // the round form's controls are built from the methods' parameter definitions: labelled too
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.id("param-PER_MODEL-weight")));
        everyControlHasOneLabel();
        // the first section link is reachable with Tab and opens with Enter
        WebElement first = browser.findElement(By.linkText("Nodes"));
        first.sendKeys(Keys.ENTER);
        waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("nodes-table")));
        assertThat(first.getAttribute("aria-current")).isEqualTo("page");
    }

    /** The lowest WCAG contrast ratio between visible text and the background it sits on. */
    private static double worstContrast() {
        Object worst = browser.executeScript("""
                const lum = (c) => {
                  const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
                    v /= 255;
                    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
                  });
                  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
                };
                const background = (e) => {
                  for (; e; e = e.parentElement) {
                    const c = getComputedStyle(e).backgroundColor;
                    if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c;
                  }
                  return 'rgb(255, 255, 255)';
                };
                let worst = 21;
                for (const e of document.querySelectorAll('h1, h2, h3, p, label, button, a, th, td, caption, legend')) {
                  if (!e.offsetParent || !e.textContent.trim()) continue;
                  const f = lum(getComputedStyle(e).color), b = lum(background(e));
                  worst = Math.min(worst, (Math.max(f, b) + 0.05) / (Math.min(f, b) + 0.05));
                }
                return worst;""");
        return ((Number) worst).doubleValue();
    }

    private static void everyControlHasOneLabel() {
        for (WebElement control : browser.findElements(By.cssSelector("input, select, textarea"))) {
            String id = control.getAttribute("id");
            assertThat(browser.findElements(By.cssSelector("label[for='" + id + "']"))).as("label of #%s", id)
                    .hasSize(1);
        }
    }

    /** Clicks what the locator finds, again if the 2-second table refresh replaced it in between. */
    private static void click(By locator) {
        waitFor().until(d -> {
            d.findElement(locator).click();
            return true;
        });
    }

    private void signIn(String token) {
        signInWith(token);
        waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("tabs")));
    }

    private void signInWith(String token) {
        browser.findElement(By.id("token")).sendKeys(token);
        browser.findElement(By.cssSelector("#sign-in-form button")).click();
    }

    private static String text(String css) {
        return browser.findElement(By.cssSelector(css)).getText();
    }

    /** A wait that polls again when the page replaced an element it was reading (the tables refresh every 2 s). */
    private static FluentWait<WebDriver> waitFor() {
        return new WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(StaleElementReferenceException.class);
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + hub.httpPort() + path;
    }

    private static void screenshot(String name) throws RuntimeException {
        try {
            Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), SHOTS.resolve(name + ".png"),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
