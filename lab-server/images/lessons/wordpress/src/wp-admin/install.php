<?php
// Lab stand-in for WordPress's installer: shows the configuration the
// container got and whether the database answers (the real WordPress would
// ask for a site title and an admin account here). Its stylesheet is linked
// by an absolute URL from the Host header, as WordPress links its own.
require __DIR__ . '/../wp-config.php';
mysqli_report(MYSQLI_REPORT_OFF);
$host = DB_HOST;
$port = 3306;
if (strpos($host, ':') !== false) { [$host, $p] = explode(':', $host, 2); $port = (int)$p; }
$db = @mysqli_connect($host, DB_USER, DB_PASSWORD, '', $port);
if ($db) {
  @mysqli_query($db, 'CREATE DATABASE IF NOT EXISTS `' . mysqli_real_escape_string($db, DB_NAME) . '`');
  $status = 'connected to ' . htmlspecialchars(DB_HOST) . ' as ' . htmlspecialchars(DB_USER) . ', database ' . htmlspecialchars(DB_NAME);
} else {
  $status = 'Error establishing a database connection (' . htmlspecialchars(DB_HOST) . ')';
}
$site = 'http://' . htmlspecialchars($_SERVER['HTTP_HOST'] ?? 'localhost');
?><!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>WordPress &rsaquo; Installation</title>
<link rel="stylesheet" href="<?= $site ?>/wp-admin/css/install.css?ver=<?= htmlspecialchars(WP_VERSION_LAB) ?>">
</head>
<body class="wp-core-ui">
<h1 id="logo">WordPress</h1>
<p>WordPress <?= htmlspecialchars(WP_VERSION_LAB) ?> (lab stand-in), PHP <?= PHP_VERSION ?></p>
<p>Database: <?= $status ?></p>
</body></html>
